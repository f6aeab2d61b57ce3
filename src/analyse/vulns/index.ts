export { loadOsvDatabase, buildOsvDatabase, entriesFromZip } from './database.ts';
export type { OsvDatabase, OsvDatabaseInfo, LoadOptions, RawEntry } from './database.ts';
export { scanComponents } from './scan.ts';
export type { ScanOptions } from './scan.ts';
export { WASM_PLATFORM, platformExclusion } from './platform.ts';
export type { PlatformRule } from './platform.ts';
export { ingestGrype, ingestTrivy, ingestScanReport, ingestVulnAttestation } from './ingest.ts';
export { VulnDatabase } from './holder.ts';
export type { VulnDatabaseOptions, VulnDatabaseStatus, RefreshOutcome, SwapListener, DatabaseState } from './holder.ts';
export { cvssBaseScore, severityFromScore, severityOf, normalizeSeverityWord } from './severity.ts';
export { rangeAffects, entryAffects } from './range.ts';
export { osvRecordProblem } from './osv-validate.ts';
export { ecosystemForPurlType, normalizePackageName } from './ecosystems.ts';
export {
  SEMVER_SCHEME,
  PEP440_SCHEME,
  MAVEN_SCHEME,
  NUGET_SCHEME,
  schemeForEcosystem,
  parseSemver,
  compareSemver,
  parsePep440,
  comparePep440,
  parseMaven,
  compareMaven,
  parseNuGet,
  compareNuGet,
} from './versions/index.ts';
export type { VersionScheme, SemVer, Pep440, MavenVersion, NuGetVersion } from './versions/index.ts';
export { VulnError } from './error.ts';
export type { VulnErrorCode } from './error.ts';
export type { OsvRecord, OsvAffected, OsvRange, OsvEvent } from './osv-types.ts';
export type { AdvisoryEntry } from './prepare.ts';
