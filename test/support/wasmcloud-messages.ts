/** Requests exactly as the wasmCloud 1.x host (policy.rs, v1.9.2) serialises them. */
export const HOST = { publicKey: 'NBTESTHOSTKEYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', lattice: 'default', labels: { 'hostcore.os': 'linux', zone: 'a' } };

export function startComponent(requestId: string, imageRef: string, componentId = 'http-hello') {
  return {
    requestId, kind: 'startComponent', version: 'v1',
    request: { componentId, imageRef, maxInstances: 1, annotations: { 'wasmcloud.dev/managed-by': 'wadm' }, claims: null },
    host: HOST,
  };
}

export function startProvider(requestId: string, imageRef: string) {
  return {
    requestId, kind: 'startProvider', version: 'v1',
    request: { providerId: 'http-server', imageRef, annotations: {}, claims: { publicKey: 'VAXX', issuer: 'ACXX', issuedAt: '1700000000', expiresAt: null, expired: false } },
    host: HOST,
  };
}

export function performInvocation(requestId: string, imageRef: string) {
  return {
    requestId, kind: 'performInvocation', version: 'v1',
    request: { interface: 'wasi:http/incoming-handler', function: 'handle', target: { componentId: 'http-hello', imageRef, maxInstances: 0, annotations: {}, claims: null } },
    host: HOST,
  };
}
