# The shipped wasmgate decision policy: the seed policy (ARCHITECTURE.md §2)
# with its pinned signer identities moved into data (data.json in the bundle,
# data.wasm.sbom.config) so that operators configure them without editing Rego.
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

# The SBOM attestation must be present, verified and signed by the build workflow
# (its keyless identity) or by one of the pinned keys in config.sbom_keys.
valid_sbom_attestation if {
	some attest in input.sbom_attestations
	attest.verified == true
	sbom_signer(attest)
	attest.predicate.bomFormat == "CycloneDX"
}

sbom_signer(attest) if {
	attest.certificate.subject == data.wasm.sbom.config.sbom_identity.subject
	attest.certificate.issuer == data.wasm.sbom.config.sbom_identity.issuer
}

sbom_signer(attest) if pinned_key(attest, "sbom_keys")

# The SLSA provenance must be present, verified and signed by the generator
# (its keyless identity) or by one of the pinned keys in config.provenance_keys.
valid_provenance_attestation if {
	some attest in input.provenance_attestations
	attest.verified == true
	provenance_signer(attest)
}

provenance_signer(attest) if {
	is_string(attest.certificate.subject)
	startswith(attest.certificate.subject, data.wasm.sbom.config.provenance_identity.subject_prefix)
	attest.certificate.issuer == data.wasm.sbom.config.provenance_identity.issuer
}

provenance_signer(attest) if pinned_key(attest, "provenance_keys")

# Key-pinned signers (cosign --key): the evidence was verified with a trusted key
# whose id (trust.keys[].id, or "sha256:<SPKI fingerprint>") is listed under
# data.wasm.sbom.config[list]. Absent or empty lists pin no key.
pinned_key(attest, list) if {
	is_string(attest.key.id)
	attest.key.id != ""
	some id in object.get(data.wasm.sbom.config, list, [])
	id == attest.key.id
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
