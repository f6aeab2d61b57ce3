package k8swasmgate

# Run: opa test --v0-compatible --capabilities <opa capabilities + external_data> wasmgate.rego wasmgate_test.rego

pod(rc, images) := {"review": {"object": {"spec": {"runtimeClassName": rc, "containers": [{"name": "c", "image": i} | i := images[_]]}}}, "parameters": {"runtimeClassNames": ["wasmtime", "spin"]}}

allow_all(_) := {"responses": [["ghcr.io/myorg/wasm/good:1", {"allow": true, "deny": []}]], "errors": [], "system_error": "", "status_code": 200}

deny_one(_) := {"responses": [["ghcr.io/myorg/wasm/bad:1", {"allow": false, "deny": ["missing SBOM", "critical CVE"]}]], "errors": [], "system_error": "", "status_code": 200}

key_error(_) := {"responses": [], "errors": [["ghcr.io/myorg/wasm/x:1", "wasmgate could not decide: registry_unreachable"]], "system_error": "", "status_code": 200}

down(_) := {"responses": [], "errors": [], "system_error": "connection refused", "status_code": 500}

test_allowed_wasm_pod_has_no_violation {
	count(violation) == 0 with input as pod("spin", ["ghcr.io/myorg/wasm/good:1"]) with external_data as allow_all
}

test_denied_image_is_a_violation_with_reasons {
	violation[{"msg": "wasmgate denied ghcr.io/myorg/wasm/bad:1: missing SBOM; critical CVE"}] with input as pod("spin", ["ghcr.io/myorg/wasm/bad:1"]) with external_data as deny_one
}

test_undecided_key_fails_closed {
	count(violation) == 1 with input as pod("wasmtime", ["ghcr.io/myorg/wasm/x:1"]) with external_data as key_error
}

test_provider_down_fails_closed {
	count(violation) == 1 with input as pod("wasmtime", ["ghcr.io/myorg/wasm/x:1"]) with external_data as down
}

test_container_pod_is_not_checked {
	count(violation) == 0 with input as pod("runc", ["nginx:1"]) with external_data as deny_one
}
