/**
 * deploy/kubernetes: every manifest is checked offline.
 *   - Built-in kinds (Namespace, ConfigMap, ServiceAccount, Service, Deployment)
 *     against the Kubernetes OpenAPI schemas compiled into the npm package
 *     kubernetes-models (its validators are generated from the upstream OpenAPI
 *     document; 5.1.0 knows initContainers[].restartPolicy, i.e. native sidecars).
 *   - Gatekeeper and Kyverno custom resources against structural schemas written
 *     here from their documentation (their CRDs are not shipped in any package
 *     reachable offline), plus the ConstraintTemplate's Rego with `opa test`.
 *   - wasmgate's own config inside the ConfigMaps through wasmgate's config loader.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Ajv } from 'ajv';
import { Namespace, ConfigMap, ServiceAccount, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { parse } from 'yaml';
import { parseConfig } from '../../../src/config/index.ts';
import { missingOutsideCi, requireTool } from '../../support/tools.ts';

const DIR = join(import.meta.dirname, '../../../deploy/kubernetes');
const FILES = [
  'wasm-app-with-wasmgate.yaml',
  'gatekeeper/wasmgate-provider.yaml',
  'gatekeeper/provider.yaml',
  'gatekeeper/constrainttemplate.yaml',
  'gatekeeper/constraint.yaml',
  'kyverno/require-wasm-sbom-attestation.yaml',
];

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; [k: string]: unknown };

async function load(file: string): Promise<Obj[]> {
  const docs = parseAllDocuments(await readFile(join(DIR, file), 'utf8'));
  return docs.map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Obj;
  });
}

const BUILT_IN: Record<string, (o: Obj) => { validate(): void }> = {
  'v1/Namespace': (o) => new Namespace(o as never),
  'v1/ConfigMap': (o) => new ConfigMap(o as never),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never),
  'v1/Service': (o) => new Service(o as never),
  'apps/v1/Deployment': (o) => new Deployment(o as never),
};

// Structural schemas for the custom resources, from the Gatekeeper and Kyverno docs.
const str = { type: 'string', minLength: 1 } as const;
const meta = { type: 'object', required: ['name'], properties: { name: str } } as const;
const KEYLESS = { type: 'object', additionalProperties: false, required: ['subject', 'issuer'], properties: { subject: str, issuer: str, rekor: { type: 'object' }, ctlog: { type: 'object' } } };
const ATTESTORS = { type: 'array', minItems: 1, items: { type: 'object', properties: { entries: { type: 'array', minItems: 1, items: { type: 'object', properties: { keyless: KEYLESS } } } } } };
const ATTESTATION = { type: 'object', additionalProperties: false, required: ['type', 'attestors'], properties: { type: str, conditions: { type: 'array' }, attestors: ATTESTORS } };
const VERIFY_IMAGE = {
  type: 'object', additionalProperties: false, required: ['imageReferences'], properties: {
    type: { enum: ['Cosign', 'SigstoreBundle', 'Notary'] }, failureAction: { enum: ['Audit', 'Enforce'] },
    imageReferences: { type: 'array', minItems: 1, items: str }, mutateDigest: { type: 'boolean' }, verifyDigest: { type: 'boolean' }, required: { type: 'boolean' },
    attestors: ATTESTORS, attestations: { type: 'array', items: ATTESTATION },
  },
};
const KYVERNO_RULE = { type: 'object', required: ['name', 'match'], properties: { name: str, match: { type: 'object' }, preconditions: { type: 'object' }, verifyImages: { type: 'array', items: VERIFY_IMAGE } } };
const CRD_SCHEMAS: Record<string, object> = {
  'externaldata.gatekeeper.sh/v1beta1/Provider': {
    type: 'object', required: ['metadata', 'spec'], properties: {
      metadata: meta,
      spec: { type: 'object', additionalProperties: false, required: ['url', 'timeout', 'caBundle'], properties: {
        url: { type: 'string', pattern: '^https://' }, timeout: { type: 'integer', minimum: 1, maximum: 3 }, caBundle: { type: 'string', contentEncoding: 'base64' } } },
    },
  },
  'templates.gatekeeper.sh/v1/ConstraintTemplate': {
    type: 'object', required: ['metadata', 'spec'], properties: {
      metadata: meta,
      spec: { type: 'object', additionalProperties: false, required: ['crd', 'targets'], properties: {
        crd: { type: 'object', required: ['spec'], properties: { spec: { type: 'object', required: ['names'], properties: {
          names: { type: 'object', required: ['kind'], properties: { kind: str } },
          validation: { type: 'object', properties: { openAPIV3Schema: { type: 'object' } } } } } } },
        targets: { type: 'array', minItems: 1, items: { type: 'object', additionalProperties: false, required: ['target', 'rego'], properties: {
          target: { const: 'admission.k8s.gatekeeper.sh' }, rego: str, libs: { type: 'array', items: { type: 'string' } } } } } } },
    },
  },
  'constraints.gatekeeper.sh/v1beta1/K8sWasmgate': {
    type: 'object', required: ['metadata', 'spec'], properties: {
      metadata: meta,
      spec: { type: 'object', additionalProperties: false, properties: {
        enforcementAction: { enum: ['deny', 'dryrun', 'warn'] },
        match: { type: 'object', properties: { kinds: { type: 'array', items: { type: 'object', required: ['apiGroups', 'kinds'] } }, excludedNamespaces: { type: 'array', items: { type: 'string' } } } },
        parameters: { type: 'object', additionalProperties: false, properties: { runtimeClassNames: { type: 'array', items: str } } } } },
    },
  },
  'kyverno.io/v1/ClusterPolicy': {
    type: 'object', required: ['metadata', 'spec'], properties: {
      metadata: meta,
      spec: { type: 'object', required: ['rules'], properties: {
        validationFailureAction: { enum: ['Audit', 'Enforce'] },
        webhookTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 30 },
        background: { type: 'boolean' },
        rules: { type: 'array', minItems: 1, items: KYVERNO_RULE } } },
    },
  },
};

describe('deploy/kubernetes manifests', () => {
  const ajv = new Ajv({ allErrors: true, strict: false });

  it.each(FILES)('%s: every object validates against its schema', async (file) => {
    for (const o of await load(file)) {
      const key = `${o.apiVersion}/${o.kind}`;
      const model = BUILT_IN[key];
      if (model) {
        expect(() => model(o).validate(), `${file} ${key} ${o.metadata.name}`).not.toThrow();
        continue;
      }
      const schema = CRD_SCHEMAS[key];
      expect(schema, `no schema for ${key} in ${file}`).toBeDefined();
      const validate = ajv.compile(schema ?? {});
      expect(validate(o) ? [] : validate.errors, `${file} ${key}`).toEqual([]);
    }
  });

  it('the validator rejects a broken Deployment (the check is real)', async () => {
    const [, dep] = await load('wasm-app-with-wasmgate.yaml');
    const broken = structuredClone(dep) as unknown as { spec: { template: { spec: { initContainers: Array<Record<string, unknown>> } } } };
    const sidecar = broken.spec.template.spec.initContainers[0];
    if (sidecar) { delete sidecar.name; sidecar.ports = [{ containerPort: 'http' }]; }
    expect(() => new Deployment(broken as never).validate()).toThrow();
  });

  it('runs wasmgate as a native sidecar sharing the socket directory with the runtime', async () => {
    const [, dep] = await load('wasm-app-with-wasmgate.yaml');
    type C = { name: string; restartPolicy?: string; startupProbe?: unknown; volumeMounts: Array<{ name: string; mountPath: string }>; env?: Array<{ name: string; value: string }> };
    const spec = (dep as unknown as { spec: { template: { spec: { initContainers: C[]; containers: C[]; volumes: Array<{ name: string; emptyDir?: unknown }> } } } }).spec.template.spec;
    const sidecar = spec.initContainers.find((c) => c.name === 'wasmgate');
    expect(sidecar?.restartPolicy).toBe('Always');
    expect(sidecar?.startupProbe).toBeDefined();
    const socketVolume = sidecar?.volumeMounts.find((m) => m.mountPath === '/run/wasmgate')?.name;
    expect(spec.volumes.find((v) => v.name === socketVolume)?.emptyDir).toBeDefined();
    const runtime = spec.containers[0];
    expect(runtime?.volumeMounts.some((m) => m.name === socketVolume && m.mountPath === '/run/wasmgate')).toBe(true);
    expect(runtime?.env?.find((e) => e.name === 'WASMGATE_SOCKET')?.value).toBe('/run/wasmgate/wasmgate.sock');
  });

  it('the ConstraintTemplate embeds exactly gatekeeper/wasmgate.rego and the Provider points at the router path', async () => {
    const [tpl] = await load('gatekeeper/constrainttemplate.yaml');
    const rego = (tpl as unknown as { spec: { targets: Array<{ rego: string }> } }).spec.targets[0]?.rego;
    expect(rego).toBe(await readFile(join(DIR, 'gatekeeper/wasmgate.rego'), 'utf8'));
    const [provider] = await load('gatekeeper/provider.yaml');
    expect((provider as unknown as { spec: { url: string } }).spec.url).toMatch(/\/gatekeeper\/v1\/provide$/);
  });
});

describe('wasmgate configs in the ConfigMaps', () => {
  it.each(['wasm-app-with-wasmgate.yaml', 'gatekeeper/wasmgate-provider.yaml'])('%s: wasmgate\'s config loader accepts it', async (file) => {
    const maps = (await load(file)).filter((o) => o.kind === 'ConfigMap') as unknown as Array<{ data: Record<string, string> }>;
    expect(maps).toHaveLength(1);
    const raw = parse(maps[0]?.data['config.yaml'] ?? '') as Record<string, unknown>;
    const config = parseConfig(JSON.stringify(raw), { source: file, env: {} });
    if (raw.integrations !== undefined) expect(config.integrations.gatekeeper).toMatchObject({ enabled: true, path: '/gatekeeper/v1/provide' });
  });
});

describe.skipIf(missingOutsideCi('opa'))('deploy/kubernetes/gatekeeper/wasmgate.rego', () => {
  it('passes its opa tests with external_data declared as a builtin', async () => {
    const opa = requireTool('opa');
    const tmp = await mkdtemp(join(tmpdir(), 'wasmgate-gk-'));
    try {
      const caps = await new Promise<string>((resolve, reject) => execFile(opa, ['capabilities', '--current'], { maxBuffer: 16 << 20 }, (e, o) => (e ? reject(e) : resolve(o))));
      const parsed = JSON.parse(caps) as { builtins: unknown[] };
      parsed.builtins.push({ name: 'external_data', decl: { type: 'function', args: [{ type: 'any' }], result: { type: 'any' } } });
      await writeFile(join(tmp, 'caps.json'), JSON.stringify(parsed));
      const out = await new Promise<{ code: number; text: string }>((resolve) =>
        execFile(opa, ['test', '--v0-compatible', '--capabilities', join(tmp, 'caps.json'), join(DIR, 'gatekeeper/wasmgate.rego'), join(DIR, 'gatekeeper/wasmgate_test.rego')], (e, o, er) => resolve({ code: e ? Number(e.code) : 0, text: o + er })));
      expect(out.text).toMatch(/PASS: 5\/5/);
      expect(out.code).toBe(0);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
