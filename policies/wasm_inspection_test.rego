# Tests for the module inspection rules (wasm_inspection.rego): each rule on and off.
package wasm.sbom_test

import rego.v1

import data.wasm.sbom

all_on := {
	"embedded_deps_must_match_sbom": true,
	"embedded_deps_sources": ["crates.io"],
	"forbidden_imports": ["wasi:sockets/", "wasi_snapshot_preview1#sock_"],
	"min_toolchain": {"rustc": "1.78.0", "Go": "1.22"},
}

sbom_attestation(components, verified) := {
	"verified": verified,
	"predicate_type": "https://cyclonedx.org/bom",
	"predicate": {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components},
}

ring_sbom := sbom_attestation(
	[
		{"type": "library", "name": "ring", "version": "0.17.8", "purl": "pkg:cargo/ring@0.17.8"},
		{"type": "library", "name": "cc", "version": "1.0.83", "purl": "pkg:cargo/cc@1.0.83"},
	],
	true,
)

module_with(wasm) := {"ref": "r/app@sha256:00", "repository": "r/app", "digest": "sha256:00", "layers": [], "wasm": wasm}

wasm_facts(deps, imports, producers) := {
	"digest": "sha256:11", "kind": "component", "imports": imports, "exports": [],
	"producers": producers, "embedded_dependencies": deps,
}

ring_deps := [
	{"name": "demo-app", "version": "0.1.0", "source": "local", "kind": "runtime"},
	{"name": "ring", "version": "0.17.7", "source": "crates.io", "kind": "runtime"},
	{"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
]

rust_producers := {"language": ["Rust"], "processed-by": ["rustc 1.78.0 (9b00956e5 2024-04-29)"], "sdk": []}

ring_input := {
	"module": module_with(wasm_facts(ring_deps, [], rust_producers)),
	"sbom_attestations": [ring_sbom],
}

ring_msg := "WASM module embeds ring 0.17.7, but its verified SBOM says ring 0.17.8."

# ---- rule 1 ----

# The package document OPA clients ask for (data.wasm.sbom) holds the verdict and small rules, not a copy of the
# verified SBOM: the SBOM's packages are read through functions.
test_package_document_carries_no_sbom_copy if {
	doc := sbom with input as ring_input with data.wasm.sbom.config.inspection as all_on
	ring_msg in doc.deny
	not contains(json.marshal(doc), "pkg:cargo/ring@0.17.8")
}

test_embedded_version_mismatch_denied if {
	ring_msg in sbom.deny with input as ring_input with data.wasm.sbom.config.inspection as all_on
}

test_embedded_mismatch_blocks_allow if {
	not sbom.allow with input as ring_input with data.wasm.sbom.config.inspection as all_on
}

test_embedded_check_off if {
	cfg := json.patch(all_on, [{"op": "replace", "path": "/embedded_deps_must_match_sbom", "value": false}])
	not ring_msg in sbom.deny with input as ring_input with data.wasm.sbom.config.inspection as cfg
}

test_embedded_check_absent_config_is_off if {
	not ring_msg in sbom.deny with input as ring_input with data.wasm.sbom.config.inspection as {}
}

test_embedded_matching_versions_pass if {
	deps := [{"name": "ring", "version": "0.17.8", "source": "crates.io"}, {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"}]
	inp := {"module": module_with(wasm_facts(deps, [], null)), "sbom_attestations": [ring_sbom]}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "embeds")
	}
}

test_embedded_missing_from_sbom_denied if {
	deps := [{"name": "openssl", "version": "0.10.55", "source": "crates.io"}]
	inp := {"module": module_with(wasm_facts(deps, [], null)), "sbom_attestations": [ring_sbom]}
	"WASM module embeds openssl 0.10.55, which its verified SBOM does not list." in sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
}

test_embedded_local_sources_not_checked_by_default if {
	denials := sbom.deny with input as ring_input with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "demo-app")
	}
}

test_embedded_unverified_sbom_not_counted if {
	inp := {
		"module": module_with(wasm_facts(ring_deps, [], null)),
		"sbom_attestations": [sbom_attestation([{"name": "ring", "version": "0.17.7"}], false), ring_sbom],
	}
	ring_msg in sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
}

test_embedded_only_unverified_sbom_no_inspection_deny if {
	inp := {"module": module_with(wasm_facts(ring_deps, [], null)), "sbom_attestations": [sbom_attestation([], false)]}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "embeds")
	}
}

test_embedded_null_means_no_check if {
	inp := {"module": module_with(wasm_facts(null, [], null)), "sbom_attestations": [ring_sbom]}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "embeds")
	}
}

test_embedded_nested_cyclonedx_components_count if {
	nested := sbom_attestation([{"name": "app", "version": "1.0.0", "components": [{"name": "ring", "version": "0.17.7"}]}], true)
	inp := {"module": module_with(wasm_facts([{"name": "ring", "version": "0.17.7", "source": "crates.io"}], [], null)), "sbom_attestations": [nested]}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "embeds")
	}
}

test_embedded_spdx_packages_count if {
	spdx := {"verified": true, "predicate": {"spdxVersion": "SPDX-2.3", "packages": [{"name": "ring", "versionInfo": "0.17.8"}]}}
	inp := {"module": module_with(wasm_facts([{"name": "ring", "version": "0.17.7", "source": "crates.io"}], [], null)), "sbom_attestations": [spdx]}
	ring_msg in sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
}

test_shipped_data_turns_embedded_check_on if {
	ring_msg in sbom.deny with input as ring_input
}

# ---- rule 2 ----

sockets_input := {"module": module_with(wasm_facts(null, ["wasi:sockets/tcp@0.2.0", "wasi:filesystem/types@0.2.0"], null))}

sockets_msg := "WASM module imports wasi:sockets/tcp@0.2.0, a capability the operator forbids (wasi:sockets/)."

test_forbidden_import_denied if {
	sockets_msg in sbom.deny with input as sockets_input with data.wasm.sbom.config.inspection as all_on
}

test_forbidden_core_import_denied if {
	inp := {"module": module_with(wasm_facts(null, ["wasi_snapshot_preview1#sock_accept", "wasi_snapshot_preview1#fd_write"], null))}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	"WASM module imports wasi_snapshot_preview1#sock_accept, a capability the operator forbids (wasi_snapshot_preview1#sock_)." in denials
	every m in denials {
		not contains(m, "fd_write")
	}
}

test_forbidden_imports_empty_is_off if {
	cfg := json.patch(all_on, [{"op": "replace", "path": "/forbidden_imports", "value": []}])
	denials := sbom.deny with input as sockets_input with data.wasm.sbom.config.inspection as cfg
	every m in denials {
		not contains(m, "forbids")
	}
}

test_allowed_imports_pass if {
	denials := sbom.deny with input as sockets_input with data.wasm.sbom.config.inspection as {"forbidden_imports": ["wasi:http/"]}
	every m in denials {
		not contains(m, "forbids")
	}
}

# ---- rule 3 ----

old_rust := {"language": ["Rust"], "processed-by": ["rustc 1.70.0 (90c541806 2023-05-31)", "wit-component 0.20.0"], "sdk": []}

test_old_toolchain_denied if {
	inp := {"module": module_with(wasm_facts(null, [], old_rust))}
	"WASM module was built with rustc 1.70.0, older than the configured minimum rustc 1.78.0." in sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
}

test_new_enough_toolchain_passes if {
	newer := {"language": ["Rust"], "processed-by": ["rustc 1.78.0 (9b00956e5 2024-04-29)", "rustc 1.80.1"], "sdk": []}
	inp := {"module": module_with(wasm_facts(null, [], newer))}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "older than")
	}
}

test_go_toolchain_version_prefix if {
	go := {"language": ["Go go1.21.4"], "processed-by": ["Go cmd/compile go1.21.4"], "sdk": []}
	inp := {"module": module_with(wasm_facts(null, [], go))}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	"WASM module was built with Go 1.21.4, older than the configured minimum Go 1.22." in denials
	count([m | some m in denials; contains(m, "older than")]) == 1
}

test_nightly_versions_compare_on_numbers if {
	nightly := {"language": [], "processed-by": ["rustc 1.77.0-nightly (abc 2024-01-01)"], "sdk": []}
	inp := {"module": module_with(wasm_facts(null, [], nightly))}
	"WASM module was built with rustc 1.77.0-nightly, older than the configured minimum rustc 1.78.0." in sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
}

test_min_toolchain_empty_is_off if {
	inp := {"module": module_with(wasm_facts(null, [], old_rust))}
	cfg := json.patch(all_on, [{"op": "replace", "path": "/min_toolchain", "value": {}}])
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as cfg
	every m in denials {
		not contains(m, "older than")
	}
}

test_no_wasm_facts_no_inspection_denials if {
	inp := {"module": {"ref": "r/app@sha256:00", "repository": "r/app", "digest": "sha256:00", "layers": [], "wasm": null}}
	denials := sbom.deny with input as inp with data.wasm.sbom.config.inspection as all_on
	every m in denials {
		not contains(m, "WASM module embeds")
		not contains(m, "forbids")
		not contains(m, "older than")
	}
}
