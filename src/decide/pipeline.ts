import { randomUUID } from 'node:crypto';
import { assembleInput } from '../assemble/assemble.ts';
import type { ErrorEntry, Evidence, InputV1, VulnerabilityMatch, VulnerabilityScan, WasmFactsV1 } from '../contract/input-v1.ts';
import type { Collector } from '../collect/collect.ts';
import type { CollectedEvidence } from '../oci/types.ts';
import { messageOf, WasmgateError } from '../common/error.ts';
import { DecideError } from './error.ts';
import { createSilentLogger, type Logger } from '../common/logger.ts';
import type { Component } from '../analyse/sbom/index.ts';
import { componentsFromSbomOnce } from '../analyse/sbom/memo.ts';
import { scanComponents, type ScanOptions } from '../analyse/vulns/scan.ts';
import { ingestVulnAttestation } from '../analyse/vulns/ingest.ts';
import type { OsvDatabase } from '../analyse/vulns/database.ts';
import { embeddedDependenciesToComponents, inspectWasmLayer, WasmInspectError } from '../analyse/wasm/index.ts';
import type { EvaluationResult, LoadedBundle } from '../policy/engine/types.ts';
import { verifyEvidence, type VerifiedEvidence, type VerifyOptions } from '../verify/verify-evidence.ts';
import { evaluateInput } from '../policy/evaluate.ts';
import type { TrustPolicy } from '../verify/trust/policy.ts';
import type { Decider, Decision, DecisionRequest } from './types.ts';

/** What the pipeline reads at decision time; each getter returns the currently active value (hot-swappable). */
export interface PipelineDeps {
  collector: Collector;
  trust: () => TrustPolicy;
  /** the active bundle that answers `path` */
  bundle: (path: string) => LoadedBundle | null;
  /** why no bundle is active (the last download or activation error of each bundle), for the deny reason */
  bundleProblems?: () => string | undefined;
  /** the active vulnerability database; null when none is configured */
  vulnerabilities: () => OsvDatabase | null;
  /**
   * Why the vulnerability data may not decide now (none configured, unloadable, stale), or null. A problem becomes an
   * evidence error (the decision denies); without this getter a missing database is an error too (fail closed).
   */
  vulnerabilityProblem?: () => ErrorEntry | null;
  scanOptions?: ScanOptions;
  /** inspect the wasm layer (module.wasm); default true */
  inspectWasm?: boolean;
  /** default policy path */
  defaultPath?: string;
  logger?: Logger;
  now?: () => Date;
  /** verification (default verifyEvidence); e.g. a verification cache's `verify` */
  verify?: (collected: CollectedEvidence, trust: TrustPolicy, opts: VerifyOptions) => Promise<VerifiedEvidence>;
  /** the vulnerability scan (default scanComponents on this thread); e.g. a fleet's shared scan results */
  scanComponents?: (components: readonly Component[], db: OsvDatabase, options?: ScanOptions) => Promise<VulnerabilityScan>;
  /** evaluation of an uncached decision (default: on this thread); e.g. a worker pool's `evaluate` */
  evaluate?: (bundle: LoadedBundle, path: string, input: InputV1, document?: boolean) => Promise<EvaluationResult>;
}

const VULN_PREDICATE = /^https:\/\/cosign\.sigstore\.dev\/attestation\/vuln\/v1$/;

function timer(): () => number {
  const start = process.hrtime.bigint();
  return () => Number(process.hrtime.bigint() - start);
}

/** Components of every verified SBOM, plus what the module itself embeds (cargo-auditable). */
function componentsOf(sboms: readonly Evidence[], wasm: WasmFactsV1 | null, errors: ErrorEntry[]): Component[] {
  const byKey = new Map<string, Component>();
  const add = (c: Component): void => {
    const key = c.purl ?? `${c.ecosystem ?? ''}/${c.name}@${c.version}`;
    if (!byKey.has(key)) byKey.set(key, c);
  };
  for (const sbom of sboms) {
    if (!sbom.verified) continue;
    try {
      componentsFromSbomOnce(sbom.predicate).forEach(add);
    } catch (err) {
      errors.push({ code: 'invalid_evidence', message: `the verified SBOM in ${sbom.manifest_digest} could not be read: ${messageOf(err)}` });
    }
  }
  if (wasm?.embedded_dependencies) embeddedDependenciesToComponents(wasm.embedded_dependencies).forEach(add);
  return [...byKey.values()];
}

/** Scanner results attested by the build (cosign vuln predicates), verified only. */
function attestedMatches(others: readonly Evidence[]): VulnerabilityMatch[] {
  const out: VulnerabilityMatch[] = [];
  for (const e of others) {
    if (!e.verified || !e.predicate_type || !VULN_PREDICATE.test(e.predicate_type)) continue;
    out.push(...ingestVulnAttestation(e.predicate).matches);
  }
  return out;
}

async function scan(components: Component[], db: OsvDatabase | null, attested: VulnerabilityMatch[], options: ScanOptions | undefined, scanner: PipelineDeps['scanComponents']): Promise<VulnerabilityScan> {
  if (db) {
    const result = scanner ? await scanner(components, db, options) : scanComponents(components, db, options);
    if (attested.length > 0) result.matches.push(...attested);
    return result;
  }
  if (attested.length > 0) return { source: 'attestation', database: { name: 'attestation', built: '', records: 0 }, matches: attested };
  return { source: 'none', database: { name: 'none', built: '', records: 0 }, matches: [] };
}

/** Reads allow/deny out of whatever the policy path returned (the package document or a single rule). */
function verdict(path: string, result: unknown): { allow: boolean; deny: string[] } {
  if (path.endsWith('/allow')) return { allow: result === true, deny: [] };
  if (path.endsWith('/deny')) {
    const deny = Array.isArray(result) ? result.map(String) : [];
    return { allow: false, deny };
  }
  if (typeof result === 'object' && result !== null) {
    const r = result as { allow?: unknown; deny?: unknown };
    const deny = Array.isArray(r.deny) ? r.deny.map(String) : [];
    return { allow: r.allow === true && deny.length === 0, deny };
  }
  return { allow: false, deny: [] };
}

/**
 * The decision flow of ARCHITECTURE.md §1: resolve and collect, verify, analyse
 * (wasm inspection, SBOM components, vulnerability matching), assemble, evaluate.
 * Problems that stop evidence from being complete go into `input.errors` (the
 * policy denies on them); problems that stop a decision altogether throw, and the
 * deadline decorator turns them into a fail-closed deny.
 */
export function createPipelineDecider(deps: PipelineDeps): Decider {
  const log = deps.logger ?? createSilentLogger();
  const inspect = deps.inspectWasm ?? true;
  const defaultPath = deps.defaultPath ?? 'wasm/sbom';

  return {
    async decide(req: DecisionRequest, signal?: AbortSignal): Promise<Decision> {
      const total = timer();
      const path = (req.path ?? defaultPath).replace(/^\/+|\/+$/g, '');
      // read once: the whole decision runs on this bundle even if another activates meanwhile
      const bundle = deps.bundle(path);
      if (!bundle) {
        const why = deps.bundleProblems?.();
        throw new DecideError('NO_TRUSTED_POLICY', `no active policy bundle answers ${path}: wasmgate cannot decide until one activates${why ? `; ${why}` : ' (see /health?bundles)'}`);
      }
      const metrics: Record<string, number> = {};
      const errors: ErrorEntry[] = [];

      let t = timer();
      const collected: CollectedEvidence = await deps.collector.collect(req.ref, {
        ...(signal ? { signal } : {}),
        ...(req.deadlineMs !== undefined ? { deadlineMs: req.deadlineMs } : {}),
      });
      metrics.timer_wasmgate_collect_ns = t();

      t = timer();
      const verified = await (deps.verify ?? verifyEvidence)(collected, deps.trust(), deps.now ? { now: deps.now() } : {});
      metrics.timer_wasmgate_verify_ns = t();

      let wasm: WasmFactsV1 | null = null;
      if (inspect && collected.module.wasmLayer) {
        t = timer();
        try {
          wasm = await inspectWasmLayer(deps.collector.storeFor(collected.module.repository), collected.module, signal ? { signal } : {});
        } catch (err) {
          if (WasmgateError.isWasmgateError(err) && !(err instanceof WasmInspectError)) throw err;
          errors.push({ code: 'wasm_inspection_failed', message: messageOf(err) });
        }
        metrics.timer_wasmgate_inspect_ns = t();
      } else if (inspect) {
        // nothing to inspect is not "nothing found": the binary's own dependency list cannot be checked
        const types = collected.module.layers.map((l) => l.mediaType).join(', ') || 'none';
        errors.push({ code: 'wasm_inspection_failed', message: `${collected.module.digest} has no wasm layer (layer media types: ${types}); wasmgate cannot inspect the binary a runtime would load` });
      }

      t = timer();
      const components = componentsOf(verified.sbom_attestations, wasm, errors);
      const db = deps.vulnerabilities();
      const dbProblem = deps.vulnerabilityProblem
        ? deps.vulnerabilityProblem()
        : db === null
          ? { code: 'vulnerability_db_unavailable', message: 'no vulnerability database is configured' }
          : null;
      if (dbProblem !== null) errors.push(dbProblem);
      const vulnerabilityScan = await scan(components, db, attestedMatches(verified.other_attestations), deps.scanOptions, deps.scanComponents);
      metrics.timer_wasmgate_scan_ns = t();

      const input = assembleInput({
        collected,
        verified,
        wasm,
        scan: vulnerabilityScan,
        ...(req.request ? { request: req.request } : {}),
        errors,
        ...(deps.now ? { now: deps.now() } : {}),
      });

      t = timer();
      const document = req.document === true;
      const evaluated = deps.evaluate ? await deps.evaluate(bundle, path, input, document) : evaluateInput(bundle, path, input, document);
      metrics.timer_rego_query_eval_ns = t();
      if (!evaluated.defined) {
        throw new DecideError('NO_TRUSTED_POLICY', `the active bundle ${bundle.name} (revision ${bundle.revision}) does not define ${path}: it cannot answer this decision path`);
      }
      const { allow, deny } = verdict(path, evaluated.result);
      metrics.timer_wasmgate_decide_ns = total();
      log.debug({ ref: req.ref, digest: collected.module.digest, allow }, 'decided');
      return {
        allow: allow && errors.length === 0,
        deny: [...deny].sort(),
        digest: collected.module.digest,
        decision_id: randomUUID(),
        revision: bundle.revision,
        errors,
        result: evaluated.result,
        ...(document ? { document } : {}),
        input,
        metrics,
        cached: false,
      };
    },
  };
}
