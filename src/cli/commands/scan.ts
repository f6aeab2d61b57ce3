import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Severity, VulnerabilityMatch, VulnerabilityScan } from '../../contract/input-v1.ts';
import { CliError } from '../error.ts';
import { componentsFromInput, detectInput } from '../../analyse/sbom/index.ts';
import { ingestGrype, ingestTrivy, loadOsvDatabase, scanComponents, WASM_PLATFORM, type PlatformRule } from '../../analyse/vulns/index.ts';

interface ScanFlags {
  db?: string;
  json?: boolean;
  platform: string;
  countInformational?: boolean;
}

const ORDER: readonly Severity[] = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];

function platformRule(value: string): PlatformRule {
  if (value === 'wasm') return WASM_PLATFORM;
  if (value === 'any') return 'any';
  throw new CliError('CLI_USAGE', `--platform must be "wasm" or "any", not "${value}"`);
}

/** Runs a scan of one file; exported for tests. */
export async function runScan(file: string, flags: ScanFlags): Promise<VulnerabilityScan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError('CLI_USAGE', `cannot read ${file}: check the path`, { cause: err });
  }
  const input = detectInput(text);
  if (input.kind === 'grype' || input.kind === 'trivy') {
    if (flags.db !== undefined) {
      // A scanner report holds that scanner's verdict from its own database, and not the package list
      // (grype lists only matched packages; trivy lists the others only with --list-all-pkgs): matching
      // "its packages" against --db would quietly scan a subset, so the combination is refused.
      throw new CliError(
        'CLI_USAGE',
        `${file} is a ${input.kind} report: it already holds ${input.kind}'s matches from ${input.kind}'s own database, and --db is not applied to it ` +
          `(a report does not list every package). Either drop --db to read the report, or scan the SBOM or Cargo.lock it was made from with --db ${flags.db}`,
      );
    }
    return input.kind === 'grype' ? ingestGrype(input.json) : ingestTrivy(input.json);
  }
  if (flags.db === undefined) throw new CliError('CLI_USAGE', 'scanning an SBOM or Cargo.lock needs --db <dir|zip> (an OSV export)');
  const components = componentsFromInput(input);
  const db = await loadOsvDatabase(flags.db);
  return scanComponents(components, db, { platform: platformRule(flags.platform), countInformational: flags.countInformational === true });
}

function line(m: VulnerabilityMatch): string {
  const v = m.vulnerability;
  const pkg = `${m.artifact.name}@${m.artifact.version}`;
  const fix = v.fixed_in.length > 0 ? `fixed in ${v.fixed_in.join(', ')}` : 'no fix';
  const aliases = v.aliases.length > 0 ? ` (${v.aliases.join(', ')})` : '';
  const info = v.informational !== null ? ` [informational: ${v.informational}]` : '';
  const summary = v.summary !== undefined ? `\n      ${v.summary}` : '';
  return `    ${v.id.padEnd(20)} ${pkg.padEnd(36)} ${fix}${aliases}${info}${summary}`;
}

/** The human-readable report: matches grouped by severity, then what was not matched and why. */
export function formatScan(scan: VulnerabilityScan): string {
  const out: string[] = [];
  const db = scan.database;
  out.push(`database: ${db.name}${db.version !== undefined ? ` ${db.version.slice(0, 19)}` : ''}, ${db.records} records, built ${db.built || 'unknown'} (source: ${scan.source})`);
  const vulns = scan.matches.filter((m) => m.vulnerability.informational === null);
  const infos = scan.matches.filter((m) => m.vulnerability.informational !== null);
  out.push(`${vulns.length} vulnerabilities, ${infos.length} informational advisories`);
  for (const sev of ORDER) {
    const group = vulns.filter((m) => m.vulnerability.severity === sev);
    if (group.length === 0) continue;
    out.push('', `${sev} (${group.length})`);
    for (const m of group) out.push(line(m));
  }
  if (infos.length > 0) {
    out.push('', `Informational (${infos.length})`);
    for (const m of infos) out.push(line(m));
  }
  if (scan.not_applicable !== undefined && scan.not_applicable.length > 0) {
    out.push('', `Not applicable on the target platform (${scan.not_applicable.length})`);
    for (const n of scan.not_applicable) out.push(`    ${n.id.padEnd(20)} ${`${n.name}@${n.version}`.padEnd(36)} ${n.reason}`);
  }
  if (scan.unmatched !== undefined && scan.unmatched.length > 0) {
    out.push('', `Not matched (${scan.unmatched.length})`);
    for (const u of scan.unmatched) out.push(`    ${`${u.name}@${u.version}`.padEnd(57)} ${u.reason}`);
  }
  return `${out.join('\n')}\n`;
}

export function registerScan(program: Command): void {
  program
    .command('scan')
    .description('Match an SBOM (CycloneDX/SPDX JSON) or Cargo.lock against an OSV database; also reads grype/trivy JSON reports')
    .argument('<file>', 'CycloneDX JSON, SPDX JSON, Cargo.lock, or a grype/trivy JSON report (detected by content)')
    .option('--db <path>', 'OSV database: a directory of OSV JSON files or an OSV export zip (for an SBOM or Cargo.lock; refused with a grype/trivy report)')
    .option('--json', 'print exactly the vulnerability_scan object')
    .option('--platform <wasm|any>', 'target platform for OS/arch-restricted advisories', 'wasm')
    .option('--count-informational', 'count informational advisories (unmaintained/unsound/notice) at their own severity')
    .action(async (file: string, flags: ScanFlags) => {
      const scan = await runScan(file, flags);
      process.stdout.write(flags.json === true ? `${JSON.stringify(scan, null, 2)}\n` : formatScan(scan));
    });
}
