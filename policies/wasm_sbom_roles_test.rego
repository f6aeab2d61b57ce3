# Tests for roles: the trust configuration says who may sign what
# (trust.keys[].roles, trust.keyless[].roles), verification stamps each verified
# piece of evidence with its signer's roles (Evidence.verified_for), and the
# policy requires the role that fits, for key-signed (cosign --key) and keyless
# evidence alike.
package wasm.sbom_roles_test

import rego.v1

import data.wasm.sbom

build_subject := "https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main"

slsa_subject := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"

gha_issuer := "https://token.actions.githubusercontent.com"

build_key := {"id": "build-key", "fingerprint": "sha256:1111111111111111111111111111111111111111111111111111111111111111"}

prov_key := {"id": "release-provenance", "fingerprint": "sha256:2222222222222222222222222222222222222222222222222222222222222222"}

keyed_sbom := {
	"verified": true,
	"verified_for": ["sbom", "signature"],
	"certificate": null,
	"key": build_key,
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"},
}

keyed_provenance := {
	"verified": true,
	"verified_for": ["provenance"],
	"certificate": null,
	"key": prov_key,
	"predicate": {"buildDefinition": {}},
}

keyless_sbom := {
	"verified": true,
	"verified_for": ["sbom", "signature"],
	"certificate": {"subject": build_subject, "issuer": gha_issuer},
	"key": null,
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"},
}

keyless_provenance := {
	"verified": true,
	"verified_for": ["provenance"],
	"certificate": {"subject": slsa_subject, "issuer": gha_issuer},
	"key": null,
	"predicate": {"buildDefinition": {}},
}

keyed_input := {
	"sbom_attestations": [keyed_sbom],
	"provenance_attestations": [keyed_provenance],
	"vulnerability_scan": {"matches": []},
}

msg_sbom := "WASM module missing a valid CycloneDX SBOM attestation from the build pipeline."

msg_provenance := "WASM module missing a valid SLSA provenance attestation."

test_keys_with_roles_allow if {
	sbom.allow with input as keyed_input
	count(sbom.deny) == 0 with input as keyed_input
}

test_one_key_with_every_role_allows if {
	# a trust.keys entry without roles holds every role
	every_role := ["sbom", "provenance", "signature"]
	inp := {
		"sbom_attestations": [object.union(keyed_sbom, {"verified_for": every_role})],
		"provenance_attestations": [object.union(keyed_provenance, {"key": build_key, "verified_for": every_role})],
		"vulnerability_scan": {"matches": []},
	}
	sbom.allow with input as inp
}

test_roles_are_per_check if {
	# the provenance key does not vouch for the SBOM, nor the SBOM key for provenance
	swapped := {
		"sbom_attestations": [object.union(keyed_sbom, {"key": prov_key, "verified_for": ["provenance"]})],
		"provenance_attestations": [object.union(keyed_provenance, {"key": build_key, "verified_for": ["sbom", "signature"]})],
		"vulnerability_scan": {"matches": []},
	}
	sbom.deny == {msg_sbom, msg_provenance} with input as swapped
}

test_signature_role_alone_vouches_for_nothing_here if {
	inp := object.union(keyed_input, {"sbom_attestations": [object.union(keyed_sbom, {"verified_for": ["signature"]})]})
	sbom.deny == {msg_sbom} with input as inp
}

test_unverified_evidence_never_counts_whatever_its_roles if {
	# verification leaves verified_for empty when it fails; a policy still checks both
	inp := object.union(keyed_input, {"provenance_attestations": [object.union(keyed_provenance, {"verified": false})]})
	sbom.deny == {msg_provenance} with input as inp
}

test_sbom_must_be_cyclonedx if {
	spdx := object.union(object.remove(keyed_sbom, ["predicate"]), {"predicate": {"spdxVersion": "SPDX-2.3"}})
	inp := object.union(keyed_input, {"sbom_attestations": [spdx]})
	sbom.deny == {msg_sbom} with input as inp
}

test_one_good_sbom_among_bad_ones_is_enough if {
	bad := object.union(keyed_sbom, {"verified_for": []})
	inp := object.union(keyed_input, {"sbom_attestations": [bad, keyless_sbom, object.union(keyed_sbom, {"verified": false})]})
	sbom.allow with input as inp
}

test_keys_and_identities_mix if {
	mixed := {
		"sbom_attestations": [keyless_sbom],
		"provenance_attestations": [keyed_provenance],
		"vulnerability_scan": {"matches": []},
	}
	sbom.allow with input as mixed
}

test_keyless_alone_allows if {
	inp := {"sbom_attestations": [keyless_sbom], "provenance_attestations": [keyless_provenance], "vulnerability_scan": {"matches": []}}
	sbom.allow with input as inp
}

test_roles_do_not_excuse_critical_vulns if {
	inp := object.union(keyed_input, {"vulnerability_scan": {"matches": [{"vulnerability": {"id": "RUSTSEC-2023-0071", "severity": "Critical"}}]}})
	not sbom.allow with input as inp
	sbom.deny == {"WASM module SBOM contains 1 critical vulnerabilities."} with input as inp
}
