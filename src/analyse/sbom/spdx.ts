import { SbomError } from './error.ts';
import { componentFromPurl } from './purl.ts';
import type { Component } from './types.ts';
import { isRecord } from '../../common/is-record.ts';

export function isSpdx(doc: unknown): boolean {
  return isRecord(doc) && typeof doc['spdxVersion'] === 'string';
}

function invalid(path: string, what: string): SbomError {
  return new SbomError('SBOM_INVALID', `SPDX document is invalid at ${path}: ${what}`, { details: { path } });
}

/**
 * The packages of an SPDX 2.x JSON document. A package's purl comes from its
 * `externalRefs` entry with referenceType `purl` (category PACKAGE-MANAGER or
 * PACKAGE_MANAGER); packages without one are kept with an `unmatched_reason`.
 */
export function componentsFromSpdx(doc: unknown): Component[] {
  if (!isRecord(doc)) throw invalid('/', 'must be a JSON object');
  const version = doc['spdxVersion'];
  if (typeof version !== 'string' || !/^SPDX-2\.\d+$/.test(version)) {
    throw new SbomError('SBOM_UNSUPPORTED', `SPDX version ${JSON.stringify(version)} is not supported; use SPDX 2.x JSON`, { details: { path: '/spdxVersion' } });
  }
  const packages = doc['packages'] ?? [];
  if (!Array.isArray(packages)) throw invalid('/packages', 'must be an array');
  const out: Component[] = [];
  packages.forEach((pkg: unknown, i: number) => {
    if (!isRecord(pkg)) throw invalid(`/packages/${i}`, 'must be an object');
    const name = pkg['name'];
    if (typeof name !== 'string') throw invalid(`/packages/${i}/name`, 'must be a string');
    const ver = typeof pkg['versionInfo'] === 'string' ? pkg['versionInfo'] : '';
    const refs = pkg['externalRefs'] ?? [];
    if (!Array.isArray(refs)) throw invalid(`/packages/${i}/externalRefs`, 'must be an array');
    let purl: string | undefined;
    for (const ref of refs as unknown[]) {
      if (isRecord(ref) && ref['referenceType'] === 'purl' && typeof ref['referenceLocator'] === 'string') {
        purl = ref['referenceLocator'];
        break;
      }
    }
    out.push(purl === undefined ? { name, version: ver, purl: null, ecosystem: null, unmatched_reason: 'no purl in the SBOM' } : componentFromPurl(purl, name, ver));
  });
  return out;
}
