# The shipped wasmgate decision policy: the seed policy (ARCHITECTURE.md §2)
# with its pinned signer identities moved out of Rego into the one place that
# says who may sign what: the sidecar's trust configuration. Each trust entry
# (trust.keyless[], trust.keys[]) carries roles (sbom, provenance, signature);
# verification stamps every verified piece of evidence with its signer's roles
# (Evidence.verified_for), and this policy requires the role that fits.
#
# Compiled to wasm with the entrypoints wasm/sbom, wasm/sbom/allow and
# wasm/sbom/deny. Every `deny` rule in this package, including those added in
# other files of the package, blocks `allow`. Rules must only use builtins the
# opa-wasm SDK can run (policies/capabilities.json) and must pass only strings
# or numbers to sprintf (the SDK's sprintf formats composites differently).
package wasm.sbom

import rego.v1

default allow := false

# Allow the module to load only when all three seed conditions hold and no
# deny rule (here or in another file of this package) fires.
allow if {
	valid_sbom_attestation
	valid_provenance_attestation
	no_critical_vulns
	count(deny) == 0
}

# The SBOM attestation must be present, verified and signed by a signer the
# trust configuration holds for the sbom role (the build workflow).
valid_sbom_attestation if {
	some attest in input.sbom_attestations
	attest.verified == true
	"sbom" in attest.verified_for
	attest.predicate.bomFormat == "CycloneDX"
}

# The SLSA provenance must be present, verified and signed by a signer the
# trust configuration holds for the provenance role (the SLSA generator).
valid_provenance_attestation if {
	some attest in input.provenance_attestations
	attest.verified == true
	"provenance" in attest.verified_for
}

critical_matches := [m |
	some m in input.vulnerability_scan.matches
	m.vulnerability.severity == "Critical"
]

# No critical vulnerabilities permitted in the attached SBOM.
no_critical_vulns if count(critical_matches) == 0

deny contains msg if {
	not valid_sbom_attestation
	msg := "WASM module missing a valid CycloneDX SBOM attestation from the build pipeline."
}

deny contains msg if {
	not valid_provenance_attestation
	msg := "WASM module missing a valid SLSA provenance attestation."
}

deny contains msg if {
	not no_critical_vulns
	msg := sprintf("WASM module SBOM contains %d critical vulnerabilities.", [count(critical_matches)])
}

# Fail closed: the sidecar lists here why it could not assemble complete evidence.
deny contains msg if {
	some err in input.errors
	msg := sprintf("wasmgate could not assemble complete evidence (%s): %s", [error_field(err, "code"), error_field(err, "message")])
}

# A string field of an error entry, or a placeholder (sprintf gets strings only).
error_field(err, key) := value if {
	value := err[key]
	is_string(value)
} else := "unknown"
