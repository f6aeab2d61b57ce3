package wasm.sbom_policy_test

import rego.v1

import data.wasm.sbom

build_subject := "https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main"

slsa_subject := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"

gha_issuer := "https://token.actions.githubusercontent.com"

sbom_attestation := {
	"verified": true,
	"verified_for": ["sbom", "signature"],
	"certificate": {"subject": build_subject, "issuer": gha_issuer},
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"},
}

provenance_attestation := {
	"verified": true,
	"verified_for": ["provenance"],
	"certificate": {"subject": slsa_subject, "issuer": gha_issuer},
	"predicate": {"buildDefinition": {}},
}

good_input := {
	"sbom_attestations": [sbom_attestation],
	"provenance_attestations": [provenance_attestation],
	"vulnerability_scan": {"matches": [{"vulnerability": {"id": "RUSTSEC-2024-0001", "severity": "High"}}]},
}

msg_sbom := "WASM module missing a valid CycloneDX SBOM attestation from the build pipeline."

msg_provenance := "WASM module missing a valid SLSA provenance attestation."

test_allow_when_all_conditions_hold if {
	sbom.allow with input as good_input
	count(sbom.deny) == 0 with input as good_input
}

test_deny_everything_on_empty_input if {
	not sbom.allow with input as {}
	sbom.deny == {msg_sbom, msg_provenance} with input as {}
}

test_deny_missing_sbom_attestation if {
	inp := object.union(good_input, {"sbom_attestations": []})
	not sbom.allow with input as inp
	sbom.deny == {msg_sbom} with input as inp
}

test_deny_unverified_sbom_attestation if {
	inp := object.union(good_input, {"sbom_attestations": [object.union(sbom_attestation, {"verified": false})]})
	sbom.deny == {msg_sbom} with input as inp
}

test_deny_sbom_from_signer_without_sbom_role if {
	# verified, but the trust configuration holds its signer for provenance only
	inp := object.union(good_input, {"sbom_attestations": [object.union(sbom_attestation, {"verified_for": ["provenance"]})]})
	sbom.deny == {msg_sbom} with input as inp
}

test_deny_sbom_without_roles if {
	inp := object.union(good_input, {"sbom_attestations": [object.remove(sbom_attestation, ["verified_for"])]})
	sbom.deny == {msg_sbom} with input as inp
	empty := object.union(good_input, {"sbom_attestations": [object.union(sbom_attestation, {"verified_for": []})]})
	sbom.deny == {msg_sbom} with input as empty
}

test_roles_not_identities_decide if {
	# the certificate is not read: who holds which role is the trust configuration's job
	other := {"subject": "https://gitlab.example/ci.yml", "issuer": "https://gitlab.example"}
	inp := {
		"sbom_attestations": [object.union(sbom_attestation, {"certificate": other})],
		"provenance_attestations": [object.union(provenance_attestation, {"certificate": null, "key": {"id": "release"}})],
		"vulnerability_scan": {"matches": []},
	}
	sbom.allow with input as inp
}

test_deny_sbom_not_cyclonedx if {
	inp := object.union(good_input, {"sbom_attestations": [object.union(sbom_attestation, {"predicate": {"bomFormat": "SPDX"}})]})
	sbom.deny == {msg_sbom} with input as inp
}

test_deny_missing_provenance if {
	inp := object.union(good_input, {"provenance_attestations": []})
	not sbom.allow with input as inp
	sbom.deny == {msg_provenance} with input as inp
}

test_deny_unverified_provenance if {
	inp := object.union(good_input, {"provenance_attestations": [object.union(provenance_attestation, {"verified": false})]})
	sbom.deny == {msg_provenance} with input as inp
}

test_deny_provenance_from_signer_without_provenance_role if {
	# the build workflow's SBOM signer does not vouch for provenance
	inp := object.union(good_input, {"provenance_attestations": [object.union(provenance_attestation, {"verified_for": ["sbom", "signature"]})]})
	sbom.deny == {msg_provenance} with input as inp
}

test_deny_provenance_roles_not_a_list if {
	inp := object.union(good_input, {"provenance_attestations": [object.union(provenance_attestation, {"verified_for": "provenance"})]})
	sbom.deny == {msg_provenance} with input as inp
}

test_deny_critical_vulnerabilities if {
	crit := {"vulnerability": {"id": "RUSTSEC-2023-0071", "severity": "Critical"}}
	inp := object.union(good_input, {"vulnerability_scan": {"matches": [crit, crit, crit]}})
	not sbom.allow with input as inp
	sbom.deny == {"WASM module SBOM contains 3 critical vulnerabilities."} with input as inp
}

test_deny_decision_time_errors if {
	inp := object.union(good_input, {"errors": [{"code": "registry_unreachable", "message": "GET /v2/ timed out"}, {"code": 7}]})
	not sbom.allow with input as inp
	sbom.deny == {
		"wasmgate could not assemble complete evidence (registry_unreachable): GET /v2/ timed out",
		"wasmgate could not assemble complete evidence (unknown): unknown",
	} with input as inp
}

test_empty_errors_do_not_deny if {
	sbom.allow with input as object.union(good_input, {"errors": []})
}

test_data_pins_no_identity if {
	# one source of truth: the bundle's data no longer repeats identities or keys
	not "sbom_identity" in object.keys(data.wasm.sbom.config)
	not "provenance_identity" in object.keys(data.wasm.sbom.config)
	not "sbom_keys" in object.keys(data.wasm.sbom.config)
	not "provenance_keys" in object.keys(data.wasm.sbom.config)
}

test_any_other_deny_blocks_allow if {
	not sbom.allow with input as good_input with sbom.deny as {"some rule from another file"}
}
