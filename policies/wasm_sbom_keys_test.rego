# Tests for key-pinned signers (cosign --key): config.sbom_keys and
# config.provenance_keys accept a verified attestation by the key id found in
# Evidence.key.id, as an alternative to the keyless identities.
package wasm.sbom_keys_test

import rego.v1

import data.wasm.sbom

build_subject := "https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main"

slsa_subject := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.0.0"

gha_issuer := "https://token.actions.githubusercontent.com"

sbom_key := "sha256:1111111111111111111111111111111111111111111111111111111111111111"

prov_key := "release-provenance"

keyed_config := object.union(data.wasm.sbom.config, {"sbom_keys": [sbom_key], "provenance_keys": [prov_key]})

keyed_sbom := {
	"verified": true,
	"certificate": null,
	"key": {"id": sbom_key},
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"},
}

keyed_provenance := {
	"verified": true,
	"certificate": null,
	"key": {"id": prov_key},
	"predicate": {"buildDefinition": {}},
}

keyless_sbom := {
	"verified": true,
	"certificate": {"subject": build_subject, "issuer": gha_issuer},
	"key": null,
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5"},
}

keyless_provenance := {
	"verified": true,
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

test_pinned_keys_allow if {
	sbom.allow with input as keyed_input with data.wasm.sbom.config as keyed_config
	count(sbom.deny) == 0 with input as keyed_input with data.wasm.sbom.config as keyed_config
}

test_shipped_data_pins_no_key if {
	data.wasm.sbom.config.sbom_keys == []
	data.wasm.sbom.config.provenance_keys == []
	not sbom.allow with input as keyed_input
	sbom.deny == {msg_sbom, msg_provenance} with input as keyed_input
}

test_absent_key_lists_pin_no_key if {
	cfg := object.remove(keyed_config, ["sbom_keys", "provenance_keys"])
	sbom.deny == {msg_sbom, msg_provenance} with input as keyed_input with data.wasm.sbom.config as cfg
}

test_key_not_pinned_denied if {
	other := object.union(keyed_input, {"sbom_attestations": [object.union(keyed_sbom, {"key": {"id": "sha256:attacker"}})]})
	not sbom.allow with input as other with data.wasm.sbom.config as keyed_config
	sbom.deny == {msg_sbom} with input as other with data.wasm.sbom.config as keyed_config
}

test_lists_are_per_check if {
	# the provenance key does not vouch for the SBOM, nor the SBOM key for provenance
	swapped := {
		"sbom_attestations": [object.union(keyed_sbom, {"key": {"id": prov_key}})],
		"provenance_attestations": [object.union(keyed_provenance, {"key": {"id": sbom_key}})],
		"vulnerability_scan": {"matches": []},
	}
	sbom.deny == {msg_sbom, msg_provenance} with input as swapped with data.wasm.sbom.config as keyed_config
}

test_pinned_key_must_be_verified if {
	inp := object.union(keyed_input, {"provenance_attestations": [object.union(keyed_provenance, {"verified": false})]})
	sbom.deny == {msg_provenance} with input as inp with data.wasm.sbom.config as keyed_config
}

test_pinned_sbom_must_be_cyclonedx if {
	spdx := object.union(object.remove(keyed_sbom, ["predicate"]), {"predicate": {"spdxVersion": "SPDX-2.3"}})
	inp := object.union(keyed_input, {"sbom_attestations": [spdx]})
	sbom.deny == {msg_sbom} with input as inp with data.wasm.sbom.config as keyed_config
}

test_missing_or_empty_key_id_never_matches if {
	cfg := object.union(keyed_config, {"sbom_keys": ["", sbom_key]})
	no_key := object.union(keyed_input, {"sbom_attestations": [object.remove(keyed_sbom, ["key"])]})
	sbom.deny == {msg_sbom} with input as no_key with data.wasm.sbom.config as cfg
	empty_id := object.union(keyed_input, {"sbom_attestations": [object.union(keyed_sbom, {"key": {"id": ""}})]})
	sbom.deny == {msg_sbom} with input as empty_id with data.wasm.sbom.config as cfg
	numeric_id := object.union(keyed_input, {"sbom_attestations": [object.union(keyed_sbom, {"key": {"id": 7}})]})
	sbom.deny == {msg_sbom} with input as numeric_id with data.wasm.sbom.config as object.union(cfg, {"sbom_keys": [7]})
}

test_keys_and_identities_mix if {
	mixed := {
		"sbom_attestations": [keyless_sbom],
		"provenance_attestations": [keyed_provenance],
		"vulnerability_scan": {"matches": []},
	}
	sbom.allow with input as mixed with data.wasm.sbom.config as keyed_config
}

test_keyless_still_works_with_keys_pinned if {
	inp := {"sbom_attestations": [keyless_sbom], "provenance_attestations": [keyless_provenance], "vulnerability_scan": {"matches": []}}
	sbom.allow with input as inp with data.wasm.sbom.config as keyed_config
}

test_pinned_key_does_not_excuse_critical_vulns if {
	inp := object.union(keyed_input, {"vulnerability_scan": {"matches": [{"vulnerability": {"id": "RUSTSEC-2023-0071", "severity": "Critical"}}]}})
	not sbom.allow with input as inp with data.wasm.sbom.config as keyed_config
	sbom.deny == {"WASM module SBOM contains 1 critical vulnerabilities."} with input as inp with data.wasm.sbom.config as keyed_config
}
