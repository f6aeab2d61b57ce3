# Module inspection rules: what the wasm binary itself says (ARCHITECTURE.md §2,
# input.module.wasm) checked against its verified attestations and the
# operator's configuration in data.wasm.sbom.config.inspection:
#
#   embedded_deps_must_match_sbom  true|false   rule 1: cargo-auditable `.dep-v0` list vs the verified SBOM
#   embedded_deps_sources          ["crates.io"] which embedded sources rule 1 checks (default crates.io)
#   forbidden_imports              [prefix…]     rule 2: imports starting with a prefix are denied ([] = off)
#   min_toolchain                  {name: ver}   rule 3: producers entries older than the minimum ({} = off)
#
# Every rule is off when its key is absent. Each adds to `deny`, and the shipped
# policy allows only when `count(deny) == 0`. Only builtins the opa-wasm SDK runs
# (policies/capabilities.json); sprintf gets strings and numbers only.
package wasm.sbom

import rego.v1

inspection_config := cfg if {
	cfg := data.wasm.sbom.config.inspection
	is_object(cfg)
} else := {}

wasm_facts := object.get(input, ["module", "wasm"], null)

# ---- rule 1: embedded dependencies must agree with the verified SBOM --------

embedded_checked_sources := object.get(inspection_config, "embedded_deps_sources", ["crates.io"])

embedded_dependencies contains dep if {
	is_object(wasm_facts)
	deps := object.get(wasm_facts, "embedded_dependencies", null)
	is_array(deps)
	some dep in deps
	is_string(dep.name)
	is_string(dep.version)
	dep.source in embedded_checked_sources
}

# The verified SBOMs and the packages they list are functions, not rules: a rule's value is part of the package
# document data.wasm.sbom that OPA clients ask for, and a verified SBOM predicate can be hundreds of KiB. They are
# computed only when rule 1 is on and the binary embeds a dependency list.
verified_sbom_predicates(attestations) := {attest.predicate |
	some attest in attestations
	attest.verified == true
	is_object(attest.predicate)
}

# CycloneDX: every object under a `components` array (nested ones too) and metadata.component;
# SPDX 2.x: packages[].name / versionInfo.
sbom_packages(predicates) := (cyclonedx_components(predicates) | cyclonedx_metadata_components(predicates)) | spdx_packages(predicates)

cyclonedx_components(predicates) := {{"name": c.name, "version": c.version} |
	some predicate in predicates
	walk(predicate, [path, c])
	count(path) >= 2
	path[count(path) - 2] == "components"
	is_object(c)
	is_string(c.name)
	is_string(c.version)
}

cyclonedx_metadata_components(predicates) := {{"name": c.name, "version": c.version} |
	some predicate in predicates
	c := predicate.metadata.component
	is_string(c.name)
	is_string(c.version)
}

spdx_packages(predicates) := {{"name": p.name, "version": p.versionInfo} |
	some predicate in predicates
	some p in predicate.packages
	is_string(p.name)
	is_string(p.versionInfo)
}

deny contains msg if {
	inspection_config.embedded_deps_must_match_sbom == true
	count(embedded_dependencies) > 0
	predicates := verified_sbom_predicates(input.sbom_attestations)
	count(predicates) > 0
	packages := sbom_packages(predicates)
	some dep in embedded_dependencies
	versions := {p.version | some p in packages; p.name == dep.name}
	msg := embedded_dependency_mismatch(dep, versions)
}

embedded_dependency_mismatch(dep, versions) := msg if {
	count(versions) > 0
	not dep.version in versions
	msg := sprintf("WASM module embeds %s %s, but its verified SBOM says %s %s.", [dep.name, dep.version, dep.name, concat(", ", sort(versions))])
}

embedded_dependency_mismatch(dep, versions) := msg if {
	count(versions) == 0
	msg := sprintf("WASM module embeds %s %s, which its verified SBOM does not list.", [dep.name, dep.version])
}

# ---- rule 2: forbidden capabilities (import prefixes) -----------------------

deny contains msg if {
	is_object(wasm_facts)
	some prefix in object.get(inspection_config, "forbidden_imports", [])
	is_string(prefix)
	prefix != ""
	some imported in object.get(wasm_facts, "imports", [])
	is_string(imported)
	startswith(imported, prefix)
	msg := sprintf("WASM module imports %s, a capability the operator forbids (%s).", [imported, prefix])
}

# ---- rule 3: minimum toolchain versions (producers section) -----------------

producer_entries contains entry if {
	is_object(wasm_facts)
	producers := object.get(wasm_facts, "producers", null)
	is_object(producers)
	some field in ["language", "processed-by", "sdk"]
	some entry in object.get(producers, field, [])
	is_string(entry)
}

deny contains msg if {
	some tool, minimum in object.get(inspection_config, "min_toolchain", {})
	is_string(minimum)
	some entry in producer_entries
	startswith(entry, concat("", [tool, " "]))
	rest := substring(entry, count(tool) + 1, -1)
	found := trim_left(split(rest, " ")[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	found_parts := version_parts(found)
	minimum_parts := version_parts(minimum)
	version_less(found_parts, minimum_parts)
	msg := sprintf("WASM module was built with %s %s, older than the configured minimum %s %s.", [tool, found, tool, minimum])
}

# "1.78.0-nightly+x" → [1, 78, 0, 0]; undefined when a part is not a number.
version_parts(v) := padded if {
	core := split(split(v, "-")[0], "+")[0]
	parts := split(core, ".")
	every p in parts {
		regex.match(`^[0-9]+$`, p)
	}
	nums := [to_number(p) | some p in parts]
	padded := array.slice(array.concat(nums, [0, 0, 0, 0]), 0, 4)
}

version_less(a, b) if a[0] < b[0]

version_less(a, b) if {
	a[0] == b[0]
	a[1] < b[1]
}

version_less(a, b) if {
	a[0] == b[0]
	a[1] == b[1]
	a[2] < b[2]
}

version_less(a, b) if {
	a[0] == b[0]
	a[1] == b[1]
	a[2] == b[2]
	a[3] < b[3]
}
