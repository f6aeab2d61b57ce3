import type { Command } from 'commander';
import { buildFoundEvidenceReport, collectEvidence, type FoundEvidenceReport } from '../../collect/index.ts';
import { WasmgateError } from '../../common/error.ts';

/**
 * `wasmgate evidence <ref> [--json]`: collects and prints what is attached to a module — descriptors, media
 * types, predicate types, sizes — before any verification. The printing lives in `printEvidenceReport`, so a
 * verification step can add its results to the report and reuse it.
 */
export interface EvidenceCommandOptions {
  json?: boolean;
  deadline?: string;
  insecureRegistry?: string[];
  allowHost?: string[];
  maxReferrers?: string;
}

/** What `wasmgate evidence` prints: the found evidence, plus sections later steps may add (e.g. `verified`). */
export interface EvidenceReport extends FoundEvidenceReport {
  [section: string]: unknown;
}

export function registerEvidence(program: Command): void {
  program
    .command('evidence')
    .description('Print the signatures and attestations attached to a module (registry/repo:tag, registry/repo@sha256:…, oci:<dir>:<tag>), before verification')
    .argument('<ref>', 'module reference')
    .option('--json', 'print JSON instead of text')
    .option('--deadline <ms>', 'overall deadline in milliseconds', '15000')
    .option('--insecure-registry <host...>', 'registry hosts that may be reached over plain HTTP (loopback always may)')
    .option('--allow-host <host...>', 'only contact these registry hosts')
    .option('--max-referrers <n>', 'referrers examined per digest, newest first', '64')
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
  const collected = await collectEvidence(ref, {
    deadlineMs,
    limits: { maxReferrers },
    registry: {
      ...(opts.insecureRegistry ? { insecureHosts: opts.insecureRegistry } : {}),
      ...(opts.allowHost ? { allowedHosts: opts.allowHost } : {}),
    },
  });
  const report: EvidenceReport = { ...buildFoundEvidenceReport(collected) };
  return report;
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
  for (const [key, value] of Object.entries(report)) {
    if (key === 'module' || key === 'evidence' || key === 'warnings') continue;
    lines.push('', `${key}:`, JSON.stringify(value, null, 2));
  }
  out.write(`${lines.join('\n')}\n`);
}
