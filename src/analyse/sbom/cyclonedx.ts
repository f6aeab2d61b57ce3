import { assertValidCycloneDx } from './cyclonedx-validate.ts';
import { componentFromPurl } from './purl.ts';
import type { Component } from './types.ts';

interface CdxComponent {
  name?: unknown;
  version?: unknown;
  purl?: unknown;
  components?: unknown;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function walk(list: unknown, out: Component[]): void {
  if (!Array.isArray(list)) return;
  for (const c of list as CdxComponent[]) {
    if (typeof c !== 'object' || c === null) continue;
    const name = str(c.name);
    const version = str(c.version);
    if (typeof c.purl === 'string' && c.purl !== '') out.push(componentFromPurl(c.purl, name, version));
    else out.push({ name, version, purl: null, ecosystem: null, unmatched_reason: 'no purl in the SBOM' });
    walk(c.components, out); // nested (assembly) components
  }
}

/**
 * The components of a CycloneDX JSON document (validated first). Nested
 * components are included; `metadata.component` (the subject itself) is not.
 */
export function componentsFromCycloneDx(doc: unknown): Component[] {
  assertValidCycloneDx(doc);
  const out: Component[] = [];
  walk((doc as Record<string, unknown>)['components'], out);
  return out;
}

export function isCycloneDx(doc: unknown): boolean {
  return typeof doc === 'object' && doc !== null && (doc as Record<string, unknown>)['bomFormat'] === 'CycloneDX';
}
