/**
 * End to end, keyless: modules pushed with real oras to real registries (wasmgate-testregistry with the OCI 1.1
 * referrers API, Debian's docker-registry without it), evidence made offline by @sigstore/mock (a test Fulcio,
 * Rekor and CT log) and attached with `oras attach`; `wasmgate serve` spawned as a process with a config file
 * written here (the seed's identities, each with its roles) and the shipped bundle; asked with the real OPA client
 * (@styra/opa) over TCP and with `curl --unix-socket`; `wasmgate check` and `wasmgate evidence` as processes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPAClient } from '@styra/opa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILD_REPO, CLEAN_DEPS, KEYLESS_TRUST, MSG_PROVENANCE, MSG_SBOM, SLSA_REPO, VULNERABLE_DEPS,
  curlJson, cyclonedx, msgCritical, orasAttachBundle, runWasmgate, slsaProvenance, startServe, writeE2eConfig, writeOsvDir,
  type RunningServe,
} from '../../support/e2e.ts';
import { pushWasmModule, type PushedModule } from '../../support/evidence.ts';
import { freePort, startDockerRegistry, startFaultProxy, startTestRegistry, type FaultProxy, type RunningRegistry } from '../../support/registries.ts';
import { missingOutsideCi } from '../../support/tools.ts';
import { bundleAttestation, createMockSigstore, githubClaims, statement, type MockSigstore, type Signer } from '../../support/verify/mock-sigstore.ts';

const CYCLONEDX = 'https://cyclonedx.org/bom';
const SLSA_V1 = 'https://slsa.dev/provenance/v1';
const SIGN = 'https://sigstore.dev/cosign/sign/v1';
const DEADLINE_MS = 1500;

interface Answer {
  allow: boolean;
  deny: string[];
  digest: string | null;
}

describe.skipIf(missingOutsideCi('oras', 'wasmgate-testregistry', 'docker-registry', 'curl'))('e2e: keyless evidence on real registries, wasmgate serve', () => {
  let dir: string;
  let reg: RunningRegistry;
  let docker: RunningRegistry;
  let hang: FaultProxy;
  let serve: RunningServe;
  let configPath: string;
  let ms: MockSigstore;
  let build: Signer;
  let generator: Signer;
  const mods: Record<string, PushedModule> = {};

  const attest = async (signer: Signer, subject: string, attachTo: PushedModule, type: string, predicate: unknown): Promise<void> => {
    const ev = await bundleAttestation(ms, signer, statement(subject, type, predicate), attachTo.digest);
    await orasAttachBundle(attachTo.ref, ev.payload, type);
  };

  /** A module with the build's signature, SBOM and (unless `provenance: false`) SLSA provenance. */
  const publish = async (registry: string, repo: string, o: { deps?: Array<[string, string]>; provenance?: Signer | false; sbomSigner?: Signer } = {}): Promise<PushedModule> => {
    const m = await pushWasmModule({ registry, repository: repo });
    await attest(build, m.digest, m, SIGN, {});
    await attest(o.sbomSigner ?? build, m.digest, m, CYCLONEDX, cyclonedx(repo, o.deps ?? CLEAN_DEPS));
    if (o.provenance !== false) await attest(o.provenance ?? generator, m.digest, m, SLSA_V1, slsaProvenance(m.digest));
    return m;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-e2e-keyless-'));
    [reg, docker] = await Promise.all([startTestRegistry({ referrers: true }), startDockerRegistry()]);
    hang = await startFaultProxy({ upstream: reg.host, fault: () => ({ kind: 'delay', ms: 60_000 }) });
    ms = await createMockSigstore();
    build = await ms.issue(githubClaims(BUILD_REPO, 'build-wasm.yml'));
    generator = await ms.issue(githubClaims(SLSA_REPO, 'generator_generic_slsa3.yml', 'refs/tags/v2.1.0'));
    // adversary 4: the same workflow file in a fork; adversary 2: a lookalike generator in another org
    const fork = await ms.issue(githubClaims('attacker/payments-wasm', 'build-wasm.yml'));
    const forkGenerator = await ms.issue(githubClaims('attacker/slsa-github-generator', 'generator_generic_slsa3.yml', 'refs/tags/v2.1.0'));

    mods.clean = await publish(reg.host, 'payments');
    mods.cleanDocker = await publish(docker.host, 'payments');
    mods.vulnerable = await publish(reg.host, 'vulnerable', { deps: VULNERABLE_DEPS });
    mods.noProvenance = await publish(reg.host, 'no-provenance', { provenance: false });
    mods.forkProvenance = await publish(reg.host, 'fork-provenance', { provenance: forkGenerator });
    mods.forkSigned = await publish(reg.host, 'fork-signed', { sbomSigner: fork });
    // adversary 3: the clean module's validly signed SBOM and provenance (subject: the clean digest) attached
    // to another module that has a vulnerable dependency
    mods.spoofed = await pushWasmModule({ registry: reg.host, repository: 'spoofed' });
    await attest(build, mods.clean.digest, mods.spoofed, CYCLONEDX, cyclonedx('payments', CLEAN_DEPS));
    await attest(generator, mods.clean.digest, mods.spoofed, SLSA_V1, slsaProvenance(mods.clean.digest));

    const port = await freePort();
    configPath = await writeE2eConfig({
      dir,
      registries: [reg.host, docker.host, hang.host],
      trust: { keyless: KEYLESS_TRUST, trusted_roots: [ms.trustedRootPath] },
      osvDir: await writeOsvDir(join(dir, 'osv')),
      deadlineMs: DEADLINE_MS,
      tcpPort: port,
      socket: join(dir, 'wasmgate.sock'),
    });
    serve = await startServe(configPath, join(dir, 'wasmgate.sock'), port);
  }, 120_000);

  afterAll(async () => {
    await serve?.stop();
    await Promise.all([reg?.stop(), docker?.stop(), hang?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // the compact verdict (?verdict) names the digest decided on; OPA clients read the package document
  const ask = async (ref: string): Promise<Answer> => {
    const res = await fetch(`${serve.url}/v1/data/wasm/sbom?verdict`, { method: 'POST', body: JSON.stringify({ input: { module: { ref } } }) });
    return ((await res.json()) as { result: Answer }).result;
  };

  it('allows the clean module: @styra/opa over TCP, by tag and by digest, naming the digest', async () => {
    const byTag = await ask(mods.clean!.tagRef);
    expect(byTag).toEqual({ allow: true, deny: [], digest: mods.clean!.digest });
    expect(await ask(mods.clean!.ref)).toEqual({ allow: true, deny: [], digest: mods.clean!.digest });
    expect(await new OPAClient(serve.url).evaluate('wasm/sbom/allow', { module: { ref: mods.clean!.ref } })).toBe(true);
    const doc = await new OPAClient(serve.url).evaluate<{ module: { ref: string } }, Record<string, unknown>>('wasm/sbom', { module: { ref: mods.clean!.ref } });
    expect(doc).toMatchObject({ allow: true, deny: [], valid_sbom_attestation: true, valid_provenance_attestation: true, no_critical_vulns: true });
  });

  it('allows the clean module over the Unix socket (curl --unix-socket)', async () => {
    const { status, body } = await curlJson(['--unix-socket', serve.socket, '-H', 'content-type: application/json', '--data', JSON.stringify({ input: { module: { ref: mods.clean!.tagRef } } }), 'http://localhost/v1/data/wasm/sbom?verdict']);
    expect(status).toBe(200);
    const answer = JSON.parse(body) as { result: Answer; decision_id: string };
    expect(answer.result).toEqual({ allow: true, deny: [], digest: mods.clean!.digest });
    expect(answer.decision_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('allows the clean module on a registry without the referrers API (Debian docker-registry, tag schema)', async () => {
    expect(await ask(mods.cleanDocker!.tagRef)).toEqual({ allow: true, deny: [], digest: mods.cleanDocker!.digest });
  });

  it('adversary 1: denies a Critical vulnerability in a transitive dependency of the SBOM', async () => {
    expect(await ask(mods.vulnerable!.tagRef)).toEqual({ allow: false, deny: [msgCritical(1)], digest: mods.vulnerable!.digest });
  });

  it('adversary 2: denies a module with no provenance, and one whose provenance a lookalike generator signed', async () => {
    expect((await ask(mods.noProvenance!.tagRef)).deny).toEqual([MSG_PROVENANCE]);
    const fork = await ask(mods.forkProvenance!.tagRef);
    expect(fork).toEqual({ allow: false, deny: [MSG_PROVENANCE], digest: mods.forkProvenance!.digest });
  });

  it('adversary 3: denies a validly signed SBOM and provenance whose subject is another digest', async () => {
    const a = await ask(mods.spoofed!.tagRef);
    expect(a.allow).toBe(false);
    expect(a.deny).toEqual([MSG_SBOM, MSG_PROVENANCE].sort());
  });

  it('adversary 4: denies an SBOM signed by the same workflow in a fork (unknown identity)', async () => {
    expect(await ask(mods.forkSigned!.tagRef)).toEqual({ allow: false, deny: [MSG_SBOM], digest: mods.forkSigned!.digest });
  });

  it('registry down: a stopped registry is a deny with registry_unreachable, answered within the deadline', async () => {
    const down = await startTestRegistry();
    const gone = await pushWasmModule({ registry: down.host, repository: 'gone' });
    await down.stop();
    // the server's allow-list does not name this port: use check with a config that does
    const cfgDir = await mkdtemp(join(dir, 'down-'));
    const cfg = await writeE2eConfig({ dir: cfgDir, registries: [down.host], trust: { keyless: KEYLESS_TRUST, trusted_roots: [ms.trustedRootPath] }, osvDir: join(dir, 'osv'), deadlineMs: DEADLINE_MS });
    const started = Date.now();
    const r = await runWasmgate(['check', gone.ref, '--config', cfg, '--json']);
    const elapsed = Date.now() - started;
    expect(r.code).toBe(2);
    const answer = JSON.parse(r.stdout) as { result: Answer };
    expect(answer.result.allow).toBe(false);
    expect(answer.result.deny.join('\n')).toContain('registry_unreachable');
    // process start-up included; generous margin, not a timing assertion
    expect(elapsed).toBeLessThan(DEADLINE_MS + 15_000);
  });

  it('registry hanging: the server answers deny within the deadline (plus a generous margin) and keeps serving', async () => {
    const started = Date.now();
    const a = await ask(`${hang.host}/payments@${mods.clean!.digest}`);
    const elapsed = Date.now() - started;
    expect(a.allow).toBe(false);
    expect(a.deny.join('\n')).toMatch(/timeout|registry_unreachable/);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 5_000);
    expect((await ask(mods.clean!.tagRef)).allow).toBe(true);
  });

  it('wasmgate check: exit 0 for the clean module, 1 for each adversary, 2 when it could not decide', async () => {
    const clean = await runWasmgate(['check', mods.clean!.tagRef, '--config', configPath]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain(`ALLOW  ${mods.clean!.tagRef} (${mods.clean!.digest})`);
    for (const m of [mods.vulnerable!, mods.forkProvenance!, mods.spoofed!, mods.forkSigned!]) {
      const r = await runWasmgate(['check', m.tagRef, '--config', configPath]);
      expect({ ref: m.tagRef, code: r.code }).toEqual({ ref: m.tagRef, code: 1 });
      expect(r.stdout).toMatch(/^DENY /);
    }
    const json = await runWasmgate(['check', mods.vulnerable!.ref, '--config', configPath, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ result: { allow: false, deny: [msgCritical(1)], digest: mods.vulnerable!.digest } });
    const missing = await runWasmgate(['check', `${reg.host}/nothing-here:v1`, '--config', configPath]);
    expect(missing.code).toBe(2);
  });

  it('wasmgate evidence --json: verified keyless evidence with decoded Fulcio extensions; the spoofed SBOM is not bound', async () => {
    const r = await runWasmgate(['evidence', mods.clean!.ref, '--json', '--config', configPath]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { verified: Record<string, Array<{ verified: boolean; certificate: { subject: string; issuer: string; extensions: Record<string, string> } | null }>> };
    const sbom = report.verified.sbom_attestations ?? [];
    expect(sbom).toHaveLength(1);
    expect(sbom[0]!.verified).toBe(true);
    expect(sbom[0]!.certificate?.subject).toBe(`https://github.com/${BUILD_REPO}/.github/workflows/build-wasm.yml@refs/heads/main`);
    expect(sbom[0]!.certificate?.extensions).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      source_repository_uri: `https://github.com/${BUILD_REPO}`,
      github_workflow_repository: BUILD_REPO,
      source_repository_ref: 'refs/heads/main',
      build_signer_uri: `https://github.com/${BUILD_REPO}/.github/workflows/build-wasm.yml@refs/heads/main`,
    });
    expect(report.verified.provenance_attestations?.[0]?.verified).toBe(true);

    const spoofed = await runWasmgate(['evidence', mods.spoofed!.ref, '--json', '--config', configPath]);
    const sr = JSON.parse(spoofed.stdout) as { verified: Record<string, Array<{ verified: boolean; subject_matches: boolean; errors: Array<{ code: string }> }>> };
    const ssbom = sr.verified.sbom_attestations ?? [];
    expect(ssbom).toHaveLength(1);
    expect(ssbom[0]).toMatchObject({ verified: false, subject_matches: false });
    expect(ssbom[0]!.errors.map((e) => e.code)).toContain('subject_mismatch');
  });

  it('wasmgate evidence --config reaches registries as the config says: a host outside registries.allow is refused', async () => {
    const narrowDir = await mkdtemp(join(dir, 'narrow-'));
    const narrow = await writeE2eConfig({
      dir: narrowDir,
      registries: [docker.host],
      trust: { keyless: KEYLESS_TRUST, trusted_roots: [ms.trustedRootPath] },
      osvDir: await writeOsvDir(join(narrowDir, 'osv')),
    });
    const refused = await runWasmgate(['evidence', mods.clean!.ref, '--json', '--config', narrow]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/HOST_NOT_ALLOWED/);
  });

  it('bad requests get a clear 4xx from the real pipeline, and decisions still work afterwards', async () => {
    const post = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<{ status: number; text: string }> => {
      const res = await fetch(`${serve.url}/v1/data/wasm/sbom`, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    };
    // a digest too short, a registry outside the allow-list, a reference that is not one
    const badDigest = await post(JSON.stringify({ input: { module: { ref: `${reg.host}/payments@sha256:abc` } } }));
    expect(badDigest.status).toBe(400);
    expect(badDigest.text).toMatch(/digest/i);
    const notAllowed = await post(JSON.stringify({ input: { module: { ref: `127.0.0.2:5000/payments@${mods.clean!.digest}` } } }));
    expect(notAllowed.status).toBe(400);
    expect(notAllowed.text).toContain('127.0.0.2:5000');
    // evidence fields supplied by the caller on a decision path
    const smuggled = await post(JSON.stringify({ input: { module: { ref: mods.clean!.ref }, sbom_attestations: [{ verified: true }] } }));
    expect(smuggled.status).toBe(400);
    // over the socket: malformed JSON, deep nesting
    const malformed = await curlJson(['--unix-socket', serve.socket, '-H', 'content-type: application/json', '--data', '{"input":{"module":', 'http://localhost/v1/data/wasm/sbom']);
    expect(malformed.status).toBe(400);
    const deep = await curlJson(['--unix-socket', serve.socket, '-H', 'content-type: application/json', '--data', `{"input":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'http://localhost/v1/data/wasm/sbom']);
    expect(deep.status).toBe(400);
    expect((await ask(mods.clean!.ref)).allow).toBe(true);
  });
});
