/**
 * Logged inputs are replayable (issue 14 item 5). By default wasmgate logs the assembled input whole (predicates
 * up to decision_logs.max_predicate_bytes), so a logged input evaluated by real OPA on the shipped Rego gives the
 * logged decision. When predicates were erased (over the cap, or by `erase`), `wasmgate replay` re-fetches them by
 * their attestation digest, checks the sha256 the event logged, and gives the logged decision again.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionEventV1 } from '../../../src/logs/event.ts';
import { REPO, runWasmgate } from '../../support/e2e.ts';
import { requireTool } from '../../support/tools.ts';

const run = promisify(execFile);

/** `opa eval` of data.wasm.sbom.allow on the shipped Rego with `input`: the replay a pipeline built for OPA does. */
async function opaAllow(dir: string, input: unknown): Promise<boolean> {
  const file = join(dir, `input-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(input));
  const { stdout } = await run(requireTool('opa'), ['eval', '--format', 'raw', '-i', file,
    '-d', join(REPO, 'policies/wasm_sbom_policy.rego'), '-d', join(REPO, 'policies/wasm_inspection.rego'), '-d', join(REPO, 'policies/data.json'),
    'data.wasm.sbom.allow']);
  return stdout.trim() === 'true';
}

async function writeConfig(dir: string, name: string, decisionLogs: Record<string, unknown>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({
    registries: { allow: [] },
    decision: { deadline_ms: 60000 }, // the shared test machine is slow; the deadline is not under test
    trust: {
      keyless: [
        { subject: 'https://github.com/myorg/payments-wasm/.github/workflows/build-wasm.yml@refs/heads/main', issuer: 'https://token.actions.githubusercontent.com' },
        { subject_regexp: 'https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(generic|container)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+', issuer: 'https://token.actions.githubusercontent.com' },
      ],
      trusted_roots: [join(REPO, 'demo/trusted_root.json')],
    },
    vulnerability_db: { path: join(REPO, 'demo/osv/rustsec-osv-all.zip'), max_age: null }, // the demo's frozen export
    persistence_directory: join(dir, 'state'),
    decision_logs: decisionLogs,
  }));
  return path;
}

async function lastEvent(file: string): Promise<DecisionEventV1> {
  const lines = (await readFile(file, 'utf8')).trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as DecisionEventV1;
}

describe('replaying logged decisions', () => {
  let dir: string;
  let whole: string;
  let capped: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wasmgate-replay-'));
    whole = await writeConfig(dir, 'whole.yaml', { file: join(dir, 'whole.jsonl') });
    capped = await writeConfig(dir, 'capped.yaml', { file: join(dir, 'capped.jsonl'), max_predicate_bytes: 1 });
  });
  afterAll(async () => dir && rm(dir, { recursive: true, force: true }));

  it.each([['payments', true], ['vulnerable', false]] as const)('logs %s whole by default: OPA on the logged input gives the logged decision', async (name, allow) => {
    const r = await runWasmgate(['check', `oci:demo/store:${name}`, '--config', whole]);
    expect(r.code, r.stderr).toBe(allow ? 0 : 1);
    const e = await lastEvent(join(dir, 'whole.jsonl'));
    expect(e).not.toHaveProperty('erased');
    expect(e.result).toMatchObject({ allow });
    expect((e.input as { sbom_attestations: Array<{ predicate: { bomFormat: string } }> }).sbom_attestations[0]!.predicate.bomFormat).toBe('CycloneDX');
    expect(await opaAllow(dir, e.input)).toBe(allow);
  });

  it('re-fetches erased predicates: wasmgate replay (and OPA on the restored input) give the logged allow', async () => {
    const r = await runWasmgate(['check', 'oci:demo/store:payments', '--config', capped]);
    expect(r.code, r.stderr).toBe(0);
    const e = await lastEvent(join(dir, 'capped.jsonl'));
    expect(e.erased).toEqual(expect.arrayContaining(['/input/sbom_attestations/0/predicate', '/input/provenance_attestations/0/predicate']));
    // without its predicates the logged input no longer allows: this is what replay has to restore
    expect(await opaAllow(dir, e.input)).toBe(false);
    const restored = join(dir, 'restored.json');
    const logged = (await readFile(join(dir, 'capped.jsonl'), 'utf8')).trim().split('\n').length;
    const replay = await runWasmgate(['replay', e.decision_id, '--config', capped, '--input-out', restored]);
    expect(replay.code, replay.stderr + replay.stdout).toBe(0);
    // re-fetching the evidence is no decision: nothing is logged
    expect((await readFile(join(dir, 'capped.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(logged);
    expect(replay.stdout).toMatch(/^SAME {2}decision /);
    expect(replay.stdout).toContain('re-fetched /input/signatures/0/predicate, /input/sbom_attestations/0/predicate, /input/provenance_attestations/0/predicate (sha256 checked)');
    expect(await opaAllow(dir, JSON.parse(await readFile(restored, 'utf8')))).toBe(true);
  });

  it('refuses a re-fetched predicate whose sha256 differs from the logged one', async () => {
    const e = await lastEvent(join(dir, 'capped.jsonl'));
    const digests = (e.custom!.wasmgate as { erased_predicates: Record<string, string> }).erased_predicates;
    digests['/input/sbom_attestations/0/predicate'] = `sha256:${'0'.repeat(64)}`;
    const file = join(dir, 'tampered.json');
    await writeFile(file, JSON.stringify(e));
    const r = await runWasmgate(['replay', file, '--config', capped]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/REPLAY_EVIDENCE_CHANGED: \/input\/sbom_attestations\/0\/predicate: the re-fetched predicate hashes to sha256:[0-9a-f]{64}, the event logged sha256:0{64}/);
  });

  it('says a different logged answer is DIFFERENT (exit 1)', async () => {
    const e = await lastEvent(join(dir, 'whole.jsonl'));
    const file = join(dir, 'flipped.json');
    await writeFile(file, JSON.stringify({ ...e, result: { ...(e.result as object), allow: true, deny: [] } }));
    const r = await runWasmgate(['replay', file, '--config', whole]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^DIFFERENT/);
  });
});
