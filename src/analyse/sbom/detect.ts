import { componentsFromCargoLock, looksLikeCargoLock } from './cargo-lock.ts';
import { componentsFromCycloneDx, isCycloneDx } from './cyclonedx.ts';
import { SbomError } from './error.ts';
import { componentsFromSpdx, isSpdx } from './spdx.ts';
import type { Component } from './types.ts';
import { isRecord } from '../../common/is-record.ts';

/** Components of an SBOM predicate (a parsed CycloneDX 1.2–1.7 or SPDX 2.x JSON document). */
export function componentsFromSbom(predicate: unknown): Component[] {
  if (isCycloneDx(predicate)) return componentsFromCycloneDx(predicate);
  if (isSpdx(predicate)) return componentsFromSpdx(predicate);
  throw new SbomError('SBOM_UNSUPPORTED', 'document is neither CycloneDX JSON (bomFormat "CycloneDX") nor SPDX JSON (spdxVersion): supply one of those');
}

export type InputKind = 'cyclonedx' | 'spdx' | 'cargo-lock' | 'grype' | 'trivy';

export interface DetectedInput {
  kind: InputKind;
  /** the parsed JSON (absent for Cargo.lock) */
  json?: unknown;
  text: string;
}

/** Detects what a file holds by its content, not its name. */
export function detectInput(text: string): DetectedInput {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new SbomError('SBOM_INVALID', 'input starts like JSON but does not parse: check the file', { cause: err });
    }
    if (isCycloneDx(json)) return { kind: 'cyclonedx', json, text };
    if (isSpdx(json)) return { kind: 'spdx', json, text };
    if (isRecord(json) && Array.isArray(json['matches']) && isRecord(json['descriptor'])) return { kind: 'grype', json, text };
    if (isRecord(json) && json['SchemaVersion'] !== undefined && ('Results' in json || 'ArtifactName' in json)) return { kind: 'trivy', json, text };
    throw new SbomError('SBOM_UNSUPPORTED', 'JSON input is not CycloneDX, SPDX, grype or trivy JSON');
  }
  if (looksLikeCargoLock(text)) return { kind: 'cargo-lock', text };
  throw new SbomError('SBOM_UNSUPPORTED', 'input is not CycloneDX/SPDX JSON or a Cargo.lock');
}

/** Components from a detected SBOM or lockfile (not from scanner reports). */
export function componentsFromInput(input: DetectedInput): Component[] {
  switch (input.kind) {
    case 'cyclonedx':
      return componentsFromCycloneDx(input.json);
    case 'spdx':
      return componentsFromSpdx(input.json);
    case 'cargo-lock':
      return componentsFromCargoLock(input.text);
    case 'grype':
    case 'trivy':
      throw new SbomError('SBOM_UNSUPPORTED', `${input.kind} reports carry matches, not components: ingest them instead`);
  }
}
