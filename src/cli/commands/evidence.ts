import type { Command } from 'commander';
import { buildFoundEvidenceReport, collectEvidence, type FoundEvidenceReport } from '../../collect/index.ts';
import type { CollectorOptions } from '../../collect/collect.ts';
import { collectorOptionsFromConfig } from '../../collect/from-config.ts';
import { resolve } from 'node:path';
import { CliError } from '../error.ts';
import { loadConfig } from '../../config/load.ts';
import { loadTrustPolicy, verifyEvidence, type VerifiedEvidence } from '../../verify/index.ts';
import type { CollectedEvidence } from '../../oci/types.ts';
import type { InputV1, VulnerabilityScan } from '../../contract/input-v1.ts';
import { denyCauses, describeMatch } from '../../decide/causes.ts';
import { configBaseDir } from '../config-base.ts';
import { createLocalDecider } from '../runtime.ts';

/**
 * `wasmgate evidence <ref> [--json]`: collects and prints what is attached to a module — descriptors, media
 * types, predicate types, sizes — then verifies it against the configured trust (the `verified` section:
 * signer, decoded certificate facts, errors, the roles it was verified for), the vulnerability scan and the
 * policy's outcome, all from one run of the decision pipeline (the input document `check` decides on).
 * `--input` prints that whole input document; `--no-verify` prints what was found only.
 */
export interface EvidenceCommandOptions {
  json?: boolean;
  deadline?: string;
  insecureRegistry?: string[];
  allowHost?: string[];
  maxReferrers?: string;
  /** verify against this config's `trust:` (default: the embedded default config's) */
  config?: string;
  /** also trust these PEM public keys (cosign.pub) */
  key?: string[];
  /** `--no-verify`: print what was found only */
  verify?: boolean;
  /** `--input`: print the policy input document (JSON) and nothing else */
  input?: boolean;
}

/** The policy's answer on the assembled input, as `wasmgate check` would print it. */
export interface PolicyOutcome {
  allow: boolean;
  deny: string[];
  revision: string | null;
  decision_id: string;
  /** fail-closed reasons (no decision could be made on complete evidence) */
  errors: Array<{ code: string; message: string }>;
}

/** What `wasmgate evidence` prints: the found evidence, plus sections later steps may add (e.g. `verified`). */
export interface EvidenceReport extends FoundEvidenceReport {
  [section: string]: unknown;
}

export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .description('Print the signatures and attestations attached to a module (registry/repo:tag, registry/repo@sha256:…, oci:<dir>:<tag>), then how each verified against the configured trust (--no-verify: what was found only)')
    .argument('<ref>', 'module reference')
    .option('--json', 'print JSON instead of text')
    .option('--deadline <ms>', 'overall deadline in milliseconds', '15000')
    .option('--insecure-registry <host...>', 'registry hosts that may be reached over plain HTTP (loopback always may)')
    .option('--allow-host <host...>', 'only contact these registry hosts')
    .option('--max-referrers <n>', 'referrers examined per digest, newest first', '64')
    .option('-c, --config <file>', 'verify against this config\'s trust: (default: the embedded default config)')
    .option('--key <pem...>', 'also trust these public keys (PEM files, e.g. cosign.pub)')
    .option('--no-verify', 'print what was found, without verifying it')
    .option('--input', 'print the whole policy input document (JSON) the decision is made on, and nothing else')
    .action(async (ref: string, opts: EvidenceCommandOptions) => {
      if (opts.input === true) {
        if (opts.verify === false) throw new CliError('INVALID_ARGUMENT', '--input needs verification (the input document holds the verified evidence); drop --no-verify');
        const input = (await decideEvidence(ref, opts, await evidenceCollectorOptions(opts))).input;
        if (input === null) throw new CliError('NO_INPUT', 'no input document could be assembled for this module; run wasmgate check for the reason');
        process.stdout.write(`${JSON.stringify(input, null, 2)}\n`);
        return;
      }
      const report = await collectEvidenceReport(ref, opts);
      printEvidenceReport(report, { json: opts.json === true, write: (s) => process.stdout.write(s) });
    });
}

export async function collectEvidenceReport(ref: string, opts: EvidenceCommandOptions = {}): Promise<EvidenceReport> {
  const collectorOptions = await evidenceCollectorOptions(opts);
  const collected = await collectEvidence(ref, collectorOptions);
  const report: EvidenceReport = { ...buildFoundEvidenceReport(collected) };
  if (opts.verify !== false) {
    const decision = await decideEvidence(ref, opts, collectorOptions);
    if (decision.input !== null) {
      const { signatures, sbom_attestations, provenance_attestations, other_attestations } = decision.input;
      report.verified = { signatures, sbom_attestations, provenance_attestations, other_attestations } satisfies VerifiedEvidence;
      report.vulnerability_scan = decision.input.vulnerability_scan;
    } else {
      // No input was assembled (e.g. no policy bundle is active): still show how each piece verifies.
      const { config } = await loadConfig(opts.config);
      report.verified = await verifyCollected(collected, config.trust, configBaseDir(opts.config), opts.key);
    }
    report.policy = decision.outcome;
  }
  return report;
}

/** Verifies with the configured trust (plus `--key`s), without the rest of the pipeline. */
async function verifyCollected(collected: CollectedEvidence, trust: Record<string, unknown>, baseDir: string, keys: string[] | undefined): Promise<VerifiedEvidence> {
  const trustConfig = { ...trust };
  if (keys && keys.length > 0) {
    const existing = Array.isArray(trustConfig.keys) ? (trustConfig.keys as unknown[]) : [];
    trustConfig.keys = [...existing, ...keys.map((path) => ({ path: resolve(path) }))];
  }
  return verifyEvidence(collected, loadTrustPolicy(trustConfig, { baseDir }));
}

/** How `evidence` reaches registries: as `wasmgate serve` would with --config, the flags overriding it. */
async function evidenceCollectorOptions(opts: EvidenceCommandOptions): Promise<CollectorOptions & { deadlineMs: number }> {
  const deadlineMs = Number(opts.deadline ?? '15000');
  const maxReferrers = Number(opts.maxReferrers ?? '64');
  if (!Number.isInteger(deadlineMs) || deadlineMs <= 0) throw new CliError('INVALID_ARGUMENT', `--deadline must be a positive whole number of milliseconds, got ${opts.deadline}`);
  if (!Number.isInteger(maxReferrers) || maxReferrers <= 0) throw new CliError('INVALID_ARGUMENT', `--max-referrers must be a positive whole number, got ${opts.maxReferrers}`);
  const fromConfig = opts.config !== undefined ? collectorOptionsFromConfig((await loadConfig(opts.config)).config, configBaseDir(opts.config)) : undefined;
  return {
    ...fromConfig,
    deadlineMs,
    limits: { ...fromConfig?.limits, maxReferrers, deadlineMs },
    registry: {
      ...fromConfig?.registry,
      ...(opts.insecureRegistry ? { insecureHosts: opts.insecureRegistry } : {}),
      ...(opts.allowHost ? { allowedHosts: opts.allowHost } : {}),
    },
  };
}

/**
 * One run of the decision pipeline, as `wasmgate check` runs it (same config, trust plus the `--key`s, OSV data,
 * bundle): the verified evidence, the scan and the policy's answer all come from the input document it assembles.
 */
async function decideEvidence(ref: string, opts: EvidenceCommandOptions, collectorOptions: CollectorOptions & { deadlineMs: number }): Promise<{ input: InputV1 | null; outcome: PolicyOutcome }> {
  const local = await createLocalDecider(opts.config, undefined, { extraKeys: (opts.key ?? []).map((k) => resolve(k)), collectorOptions });
  try {
    const d = await local.decider.decide({ ref, request: { runtime: 'wasmgate-evidence' }, deadlineMs: collectorOptions.deadlineMs });
    return { input: d.input, outcome: { allow: d.allow, deny: d.deny, revision: d.revision, decision_id: d.decision_id, errors: d.errors } };
  } finally {
    await local.close();
  }
}

/** One line per verified-or-not piece of evidence, with who signed it and why it failed. */
function verifiedLines(v: VerifiedEvidence): string[] {
  const lines: string[] = [];
  for (const group of ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations'] as const) {
    for (const e of v[group]) {
      const who = e.certificate ? `${e.certificate.subject} (issuer ${e.certificate.issuer})` : e.key ? `key ${e.key.id}` : 'unknown signer';
      const roles = e.verified ? ` for ${(e.verified_for ?? []).length > 0 ? (e.verified_for ?? []).join(', ') : 'no role'}` : '';
      lines.push(`- ${group}: ${e.verified ? 'VERIFIED' : 'NOT VERIFIED'}${roles}  ${e.predicate_type ?? 'image signature'}`);
      lines.push(`    signer     ${who}`);
      lines.push(`    manifest   ${e.manifest_digest}${e.tlog ? `  tlog #${e.tlog.log_index} at ${e.tlog.integrated_time}` : ''}`);
      for (const [k, val] of Object.entries(e.certificate?.extensions ?? {})) lines.push(`    ${k.padEnd(10)} ${val}`);
      for (const err of e.errors) lines.push(`    error      ${err.code}: ${err.message}`);
    }
  }
  return lines;
}

function scanLines(scan: VulnerabilityScan): string[] {
  const db = scan.source === 'none' ? 'no vulnerability data' : `${scan.source}: ${scan.database.name}${scan.database.built ? ` built ${scan.database.built}` : ''}, ${scan.database.records} records`;
  const lines = [`vulnerability scan (${db}): ${scan.matches.length} match(es)`];
  for (const m of scan.matches) lines.push(`- ${describeMatch(m)}`);
  for (const n of scan.not_applicable ?? []) lines.push(`- not applicable: ${n.id} ${n.name}@${n.version} (${n.reason})`);
  for (const u of scan.unmatched ?? []) lines.push(`- not matched: ${u.name}@${u.version} (${u.reason})`);
  return lines;
}

function policyLines(p: PolicyOutcome, report: EvidenceReport): string[] {
  const lines = [`policy: ${p.allow ? 'ALLOW' : p.errors.length > 0 ? 'UNDECIDED (deny)' : 'DENY'}${p.revision ? ` (revision ${p.revision})` : ''}`];
  const input = report.verified && report.vulnerability_scan
    ? ({ ...(report.verified as VerifiedEvidence), vulnerability_scan: report.vulnerability_scan } as unknown as InputV1)
    : null;
  for (const d of p.deny) {
    lines.push(`- ${d}`);
    for (const c of denyCauses(d, input)) lines.push(`    ${c}`);
  }
  return lines;
}

/** Prints a report as JSON or as text. Sections other than module/evidence/warnings are printed as JSON blocks. */
export function printEvidenceReport(report: EvidenceReport, out: { json: boolean; write: (s: string) => void }): void {
  if (out.json) {
    out.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const m = report.module;
  const lines: string[] = [];
  lines.push(`module      ${m.repository}@${m.digest}`);
  if (m.index_digest) lines.push(`index       ${m.index_digest}`);
  lines.push(`media type  ${m.media_type}${m.artifact_type ? ` (artifact ${m.artifact_type})` : ''}`);
  for (const l of m.layers) lines.push(`layer       ${l.media_type}  ${l.digest}  ${l.size} B${m.wasm_layer?.digest === l.digest ? '  [wasm]' : ''}`);
  lines.push('');
  lines.push(`evidence (${report.evidence.length}, not verified):`);
  for (const e of report.evidence) {
    lines.push(`- ${e.kind} via ${e.discovered_via}`);
    lines.push(`    predicate  ${e.predicate_type ?? '(unknown)'}`);
    lines.push(`    manifest   ${e.manifest_digest}${e.artifact_type ? `  (${e.artifact_type})` : ''}`);
    lines.push(`    layer      ${e.layer.media_type}  ${e.layer.digest}  ${e.layer.size} B`);
    lines.push(`    attached   ${e.attached_to}${e.created ? `  created ${e.created}` : ''}`);
  }
  if (report.warnings.length > 0) {
    lines.push('', 'warnings:');
    for (const w of report.warnings) lines.push(`- ${w.code}: ${w.message}`);
  }
  if (report.verified) lines.push('', 'verification:', ...verifiedLines(report.verified as VerifiedEvidence));
  if (report.vulnerability_scan) lines.push('', ...scanLines(report.vulnerability_scan as VulnerabilityScan));
  if (report.policy) lines.push('', ...policyLines(report.policy as PolicyOutcome, report));
  for (const [key, value] of Object.entries(report)) {
    if (key === 'module' || key === 'evidence' || key === 'warnings' || key === 'verified' || key === 'vulnerability_scan' || key === 'policy') continue;
    lines.push('', `${key}:`, JSON.stringify(value, null, 2));
  }
  out.write(`${lines.join('\n')}\n`);
}
