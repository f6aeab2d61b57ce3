import type { Command } from 'commander';
import { buildFoundEvidenceReport, collectEvidence, type FoundEvidenceReport } from '../../collect/index.ts';
import { collectorOptionsFromConfig } from '../../collect/from-config.ts';
import type { WasmgateConfig } from '../../config/types.ts';
import { resolve } from 'node:path';
import type { CollectedEvidence } from '../../collect/types.ts';
import { WasmgateError } from '../../common/error.ts';
import { loadConfig } from '../../config/load.ts';
import { loadTrustPolicy, verifyEvidence, type VerifiedEvidence } from '../../verify/index.ts';
import { configBaseDir } from '../config-base.ts';

/**
 * `wasmgate evidence <ref> [--json]`: collects and prints what is attached to a module — descriptors, media
 * types, predicate types, sizes — then verifies it against the configured trust (the `verified` section:
 * signer, decoded certificate facts, errors). `--no-verify` prints what was found only.
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
    .action(async (ref: string, opts: EvidenceCommandOptions) => {
      const report = await collectEvidenceReport(ref, opts);
      printEvidenceReport(report, { json: opts.json === true, write: (s) => process.stdout.write(s) });
    });
}

export async function collectEvidenceReport(ref: string, opts: EvidenceCommandOptions = {}): Promise<EvidenceReport> {
  const deadlineMs = Number(opts.deadline ?? '15000');
  const maxReferrers = Number(opts.maxReferrers ?? '64');
  if (!Number.isInteger(deadlineMs) || deadlineMs <= 0) throw new WasmgateError('INVALID_ARGUMENT', `--deadline must be a positive whole number of milliseconds, got ${opts.deadline}`);
  if (!Number.isInteger(maxReferrers) || maxReferrers <= 0) throw new WasmgateError('INVALID_ARGUMENT', `--max-referrers must be a positive whole number, got ${opts.maxReferrers}`);
  // With --config, registries are reached as `wasmgate serve` would reach them; the flags override it.
  const loaded = opts.config !== undefined || opts.verify !== false ? await loadConfig(opts.config) : undefined;
  const baseDir = configBaseDir(opts.config);
  const fromConfig = opts.config !== undefined && loaded ? collectorOptionsFromConfig(loaded.config, baseDir) : undefined;
  const collected = await collectEvidence(ref, {
    ...fromConfig,
    deadlineMs,
    limits: { ...fromConfig?.limits, maxReferrers },
    registry: {
      ...fromConfig?.registry,
      ...(opts.insecureRegistry ? { insecureHosts: opts.insecureRegistry } : {}),
      ...(opts.allowHost ? { allowedHosts: opts.allowHost } : {}),
    },
  });
  const report: EvidenceReport = { ...buildFoundEvidenceReport(collected) };
  if (loaded && opts.verify !== false) report.verified = await verifyCollected(collected, loaded.config, baseDir, opts.key);
  return report;
}

/** Verifies with the configured trust (plus `--key`s): the `verified` section, grouped as in the policy input. */
async function verifyCollected(collected: CollectedEvidence, config: WasmgateConfig, baseDir: string, keys: string[] | undefined): Promise<VerifiedEvidence> {
  const trustConfig = { ...config.trust } as Record<string, unknown>;
  if (keys && keys.length > 0) {
    const existing = Array.isArray(trustConfig.keys) ? (trustConfig.keys as unknown[]) : [];
    trustConfig.keys = [...existing, ...keys.map((path) => ({ path: resolve(path) }))];
  }
  return verifyEvidence(collected, loadTrustPolicy(trustConfig, { baseDir }));
}

/** One line per verified-or-not piece of evidence, with who signed it and why it failed. */
function verifiedLines(v: VerifiedEvidence): string[] {
  const lines: string[] = [];
  for (const group of ['signatures', 'sbom_attestations', 'provenance_attestations', 'other_attestations'] as const) {
    for (const e of v[group]) {
      const who = e.certificate ? `${e.certificate.subject} (issuer ${e.certificate.issuer})` : e.key ? `key ${e.key.id}` : 'unknown signer';
      lines.push(`- ${group}: ${e.verified ? 'VERIFIED' : 'NOT VERIFIED'}  ${e.predicate_type ?? 'image signature'}`);
      lines.push(`    signer     ${who}`);
      lines.push(`    manifest   ${e.manifest_digest}${e.tlog ? `  tlog #${e.tlog.log_index} at ${e.tlog.integrated_time}` : ''}`);
      for (const [k, val] of Object.entries(e.certificate?.extensions ?? {})) lines.push(`    ${k.padEnd(10)} ${val}`);
      for (const err of e.errors) lines.push(`    error      ${err.code}: ${err.message}`);
    }
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
  for (const [key, value] of Object.entries(report)) {
    if (key === 'module' || key === 'evidence' || key === 'warnings' || key === 'verified') continue;
    lines.push('', `${key}:`, JSON.stringify(value, null, 2));
  }
  out.write(`${lines.join('\n')}\n`);
}
