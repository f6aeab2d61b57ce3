import { componentsFromSbom } from './detect.ts';
import type { Component } from './types.ts';

const memo = new WeakMap<object, readonly Component[]>();

/**
 * componentsFromSbom, remembered per predicate object: a verified predicate served by the verification cache is the
 * same object on every decision, so its schema validation (ajv over the whole CycloneDX/SPDX document) and component
 * walk run once, not per decision. Errors are not remembered (they are thrown again). Callers must not mutate the
 * components (they are shared).
 */
export function componentsFromSbomOnce(predicate: unknown): Component[] {
  if (typeof predicate !== 'object' || predicate === null) return componentsFromSbom(predicate);
  let components = memo.get(predicate);
  if (components === undefined) {
    components = Object.freeze(componentsFromSbom(predicate));
    memo.set(predicate, components);
  }
  return [...components];
}
