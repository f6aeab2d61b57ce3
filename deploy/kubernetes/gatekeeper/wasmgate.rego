package k8swasmgate

# Every image of a WebAssembly Pod must be allowed by wasmgate (external data
# provider "wasmgate"). A key wasmgate could not decide on is a violation too:
# fail closed.

wasm_pod {
	input.review.object.spec.runtimeClassName == input.parameters.runtimeClassNames[_]
}

images[img] {
	img := input.review.object.spec.containers[_].image
}

images[img] {
	img := input.review.object.spec.initContainers[_].image
}

images[img] {
	img := input.review.object.spec.ephemeralContainers[_].image
}

decisions := external_data({"provider": "wasmgate", "keys": [img | images[img]]})

violation[{"msg": msg}] {
	wasm_pod
	decisions.system_error != ""
	msg := sprintf("wasmgate is unavailable: %v", [decisions.system_error])
}

violation[{"msg": msg}] {
	wasm_pod
	err := decisions.errors[_]
	msg := sprintf("wasmgate could not decide on %v: %v", [err[0], err[1]])
}

violation[{"msg": msg}] {
	wasm_pod
	resp := decisions.responses[_]
	resp[1].allow != true
	msg := sprintf("wasmgate denied %v: %v", [resp[0], concat("; ", resp[1].deny)])
}
