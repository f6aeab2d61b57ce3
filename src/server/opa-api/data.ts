import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../../decide/types.ts';
import type { DecisionLogRecord } from '../../logs/event.ts';
import type { ServerDeps } from '../types.ts';
import { readBody, parseDocument, type BodyLimits } from './body.ts';
import type { EvaluationResult, LoadedBundle } from '../../policy/engine/types.ts';
import { canonicalConfiguredPath, type CanonicalPath } from './data-path.ts';
import { createDecisionPathTable, type DecisionTarget } from './decision-paths.ts';
import { evidencelessInput, MODULE_REF_MISSING, toDecisionInput } from './decision-input.ts';
import { ApiError, badRequest } from './errors.ts';
import { flag, sendJson } from './json.ts';
import { createRefCheck } from './ref-check.ts';
import { isRecord as isObject } from '../../common/is-record.ts';

type Query = URLSearchParams | undefined;

export interface DataApi {
  /** POST /v1/data/{path}: body {"input": …} */
  postV1(req: IncomingMessage, res: ServerResponse, path: CanonicalPath, query: Query): Promise<number>;
  /** GET /v1/data/{path}?input=… */
  getV1(req: IncomingMessage, res: ServerResponse, path: CanonicalPath, query: Query): Promise<number>;
  /** POST /v0/data/{path}: the body is the input, the answer the raw value */
  postV0(req: IncomingMessage, res: ServerResponse, path: CanonicalPath, query: Query): Promise<number>;
  /** POST /: the default decision */
  postDefault(req: IncomingMessage, res: ServerResponse, query: Query): Promise<number>;
}

interface Evaluated {
  defined: boolean;
  result: unknown;
  decisionId: string;
  metrics: Record<string, number>;
}

/** OPA's build fields of `?provenance` (empty, as in OPA's release binaries, unless set at build time). */
const BUILD = {
  commit: process.env.WASMGATE_BUILD_COMMIT ?? '',
  timestamp: process.env.WASMGATE_BUILD_TIMESTAMP ?? '',
  hostname: process.env.WASMGATE_BUILD_HOSTNAME ?? '',
};

const MISSING_INPUT_WARNING = { code: 'api_usage_warning', message: "'input' key missing from the request" };
/** The OPA Data API over the Decider (decision paths) and the active bundle (every other path). */
export function createDataApi(deps: ServerDeps): DataApi {
  const { config, decider, bundles, metrics, decisionLog } = deps;
  const limits: BodyLimits = {
    maxLength: config.server.decoding.max_length,
    gzipMaxLength: config.server.decoding.gzip.max_length,
    maxDepth: config.server.decoding.max_depth,
  };
  const compress = { minLength: config.server.encoding.gzip.min_length, level: config.server.encoding.gzip.compression_level };
  const targetOf = createDecisionPathTable(config.decision.paths.map(canonicalConfiguredPath));
  const refCheck = createRefCheck(config.registries);
  const defaultPath = canonicalConfiguredPath(config.default_decision);
  const defaultDotted = `data.${defaultPath.replaceAll('/', '.')}`;
  const outcome = {
    allow: metrics.decisions.labels('allow'),
    deny: metrics.decisions.labels('deny'),
    error: metrics.decisions.labels('error'),
  };

  const requestedBy = (req: IncomingMessage): string => {
    const s = req.socket;
    return s.remoteAddress ? `${s.remoteAddress}:${s.remotePort ?? 0}` : '@';
  };

  const bundleRevisions = (): Record<string, { revision: string }> | undefined => {
    const b = bundles.active();
    return b ? { [b.name]: { revision: b.revision } } : undefined;
  };

  // OPA's req_id: this process's HTTP requests, numbered
  let requests = 0;
  const reqIds = new WeakMap<IncomingMessage, number>();
  const reqIdOf = (req: IncomingMessage): number => {
    let id = reqIds.get(req);
    if (id === undefined) reqIds.set(req, (id = ++requests));
    return id;
  };

  // Paths outside the decision paths are evaluated here, not by the Decider: logged here, in the same event shape.
  const log = (req: IncomingMessage, path: string, input: unknown, hasInput: boolean, ev: Evaluated, t0: bigint, error?: { code: string; message: string }): void => {
    if (!decisionLog.enabled) return;
    const metrics = { counter_server_query_cache_hit: 0, ...ev.metrics, timer_server_handler_ns: Number(process.hrtime.bigint() - t0) };
    const rec: DecisionLogRecord = { decision_id: ev.decisionId, path, time: Date.now(), requested_by: requestedBy(req), metrics, req_id: reqIdOf(req), headers: req.headers, wasmgate: { transport: 'http' } };
    if (hasInput) rec.input = input;
    if (ev.defined) rec.result = ev.result;
    const b = bundleRevisions();
    if (b) rec.bundles = b;
    if (error) rec.error = error;
    decisionLog.log(rec);
  };

  // A cached decision keeps its assembled input (the same object on every hit): the documents evaluated on it are
  // kept beside it, per bundle and path, so a warm ask of the package document does not evaluate it again.
  const evaluatedOn = new WeakMap<object, Map<string, EvaluationResult>>();
  const evaluateOn = (bundle: LoadedBundle, path: string, input: unknown, assembled: object | null): EvaluationResult => {
    if (assembled === null) return bundle.evaluate(path, input);
    const key = `${bundle.digest}\u0000${bundle.revision}\u0000${path}`;
    let byPath = evaluatedOn.get(assembled);
    const hit = byPath?.get(key);
    if (hit !== undefined) return hit;
    const r = bundle.evaluate(path, input);
    if (byPath === undefined) evaluatedOn.set(assembled, (byPath = new Map()));
    if (byPath.size < 16) byPath.set(key, r);
    return r;
  };

  // A document above a decision path whose decision did not allow: the decision path's `allow` inside it is false too.
  const withoutAllow = (doc: unknown, rel: readonly string[]): unknown => {
    if (!isObject(doc)) return doc;
    if (rel.length === 0) return doc.allow === true ? { ...doc, allow: false } : doc;
    const [head, ...rest] = rel as [string, ...string[]];
    return head in doc ? { ...doc, [head]: withoutAllow(doc[head], rest) } : doc;
  };

  // The fail-closed answer of a configured decision path (the policy is missing or its evaluation failed).
  const failClosedResult = (target: DecisionTarget, deny: readonly string[], digest: string | null, verdict: boolean): unknown => {
    if (target.kind === 'allow') return false;
    if (target.kind === 'deny') return [...deny];
    return verdict ? { allow: false, deny: [...deny], digest } : { allow: false, deny: [...deny] };
  };

  /**
   * A path at, under or above a decision path. The policy only ever sees the input
   * wasmgate assembled (evidence for input.module.ref, or no evidence and an error
   * entry saying why); caller evidence is a 400 (toDecisionInput). The asked path is
   * then evaluated on that input as OPA would: undefined stays undefined, except that
   * the configured decision paths answer the fail-closed shape when the policy is
   * missing or its evaluation failed.
   */
  const decide = async (req: IncomingMessage, target: DecisionTarget, path: CanonicalPath, input: unknown, hasInput: boolean, t0: bigint, verdict: boolean): Promise<Evaluated> => {
    const di = toDecisionInput(input, hasInput, path);
    let decision: Decision | null = null;
    let evalInput: unknown;
    const t1 = process.hrtime.bigint();
    const isDecisionPath = target.kind === 'document' || target.kind === 'allow' || target.kind === 'deny';
    // The answer at the asked path for a decision (or for no decision: no module.ref); fail closed. Called by the
    // decision-log decorator when the decision completes (the logged result) and again here (the response): the
    // second evaluation is answered from evaluatedOn.
    const resultFor = (decision: Decision | null, evalInput: unknown): { defined: boolean; result: unknown; error?: { code: string; message: string } } => {
      const decisionAllow = decision !== null && decision.allow && decision.errors.length === 0;
      if (decision !== null && ((decision.input !== null && (target.kind === 'allow' || target.kind === 'deny')) || (target.kind === 'document' && verdict))) {
        // the decision itself is the answer (same bundle, same input: no second evaluation)
        return { defined: true, result: target.kind === 'allow' ? decisionAllow : target.kind === 'deny' ? decision.deny : { allow: decisionAllow, deny: decision.deny, digest: decision.digest } };
      }
      const bundle = bundles.active();
      let r: EvaluationResult = { defined: false };
      let failed: unknown;
      if (bundle !== null) {
        try {
          // the document the decision evaluated with it (on a worker) is the answer; else it is evaluated here
          r = decision !== null && decision.document === true && decision.input !== null && target.kind === 'document' && decision.revision === bundle.revision
            ? { defined: decision.result !== undefined, result: decision.result }
            : evaluateOn(bundle, path, evalInput, decision?.input ?? null);
        } catch (err) {
          failed = err;
        }
      }
      if (isDecisionPath && (bundle === null || failed !== undefined || !r.defined)) {
        const reason = bundle === null
          ? `no_trusted_policy: no active policy bundle answers ${path}`
          : failed !== undefined ? `internal_error: evaluating ${path} failed: ${failed instanceof Error ? failed.message : String(failed)}` : `no_trusted_policy: the active bundle ${bundle.name} (revision ${bundle.revision}) does not define ${path}`;
        const deny = decision !== null && decision.input === null ? decision.deny : [reason];
        return { defined: true, result: failClosedResult(target, deny, decision?.digest ?? null, verdict), error: { code: failed !== undefined && bundle !== null ? 'internal_error' : 'no_trusted_policy', message: deny.join('; ') } };
      }
      if (failed !== undefined) throw failed;
      if (!r.defined) return { defined: false, result: undefined };
      let result = r.result;
      // fail closed whatever the policy says: an allow needs a decision without errors
      if (target.kind === 'allow') result = result === true && decisionAllow;
      if (target.kind === 'document' && isObject(result) && result.allow === true && !decisionAllow) result = { ...result, allow: false };
      if (target.kind === 'ancestor' && !decisionAllow) result = withoutAllow(result, target.base.split('/').slice(path === '' ? 0 : path.split('/').length));
      if (target.kind === 'document' && verdict) {
        const deny = isObject(result) && Array.isArray(result.deny) ? result.deny : [];
        result = { allow: isObject(result) && result.allow === true && decisionAllow, deny, digest: null };
      }
      return { defined: true, result };
    };

    let answered: { defined: boolean; result: unknown; error?: { code: string; message: string } };
    if (di.ref !== null) {
      const problem = refCheck(di.ref);
      if (problem !== null) throw badRequest(problem.message);
      // the Decider logs the decision (src/decide/logged.ts); the transport tells it what it cannot know
      const answer = (d: Decision): unknown => {
        const a = resultFor(d, d.input ?? evidencelessInput(d.errors, di.request));
        return a.defined ? a.result : undefined;
      };
      decision = await decider.decide({
        ref: di.ref,
        request: di.request,
        path: target.base,
        ...(target.kind === 'document' && !verdict ? { document: true } : {}),
        log: { transport: 'http', path, answer, callerInput: input, requested_by: requestedBy(req), req_id: reqIdOf(req), headers: req.headers, started: t0, metrics: { timer_rego_input_parse_ns: Number(t1 - t0) } },
      });
      (decision.errors.length > 0 ? outcome.error : decision.allow ? outcome.allow : outcome.deny).inc();
      evalInput = decision.input ?? evidencelessInput(decision.errors, di.request);
      answered = resultFor(decision, evalInput);
      if (answered.error) outcome.error.inc();
    } else {
      evalInput = evidencelessInput([MODULE_REF_MISSING], di.request);
      answered = resultFor(null, evalInput);
    }
    const m: Record<string, number> = { ...(decision?.metrics ?? {}), timer_rego_input_parse_ns: Number(t1 - t0), timer_rego_query_eval_ns: Number(process.hrtime.bigint() - t1) };
    if (decision?.cached) m.counter_server_query_cache_hit = 1;
    const ev: Evaluated = { defined: answered.defined, result: answered.result, decisionId: decision?.decision_id ?? randomUUID(), metrics: m };
    // without a module ref there is no decision to log for the Decider: logged here, in the same shape
    if (decision === null) log(req, path, input, hasInput, ev, t0, answered.error);
    return ev;
  };

  // Evaluates any other path on the active bundle, as OPA would.
  const evaluate = (req: IncomingMessage, path: CanonicalPath, input: unknown, hasInput: boolean, t0: bigint): Evaluated => {
    const bundle = bundles.active();
    const decisionId = randomUUID();
    const t1 = process.hrtime.bigint();
    if (bundle === null) {
      const ev: Evaluated = { defined: false, result: undefined, decisionId, metrics: { timer_rego_input_parse_ns: Number(t1 - t0) } };
      log(req, path, input, hasInput, ev, t0);
      return ev;
    }
    try {
      const r = bundle.evaluate(path, hasInput ? input : undefined);
      const ev: Evaluated = {
        defined: r.defined,
        result: r.defined ? r.result : undefined,
        decisionId,
        metrics: { timer_rego_input_parse_ns: Number(t1 - t0), timer_rego_query_eval_ns: Number(process.hrtime.bigint() - t1) },
      };
      log(req, path, input, hasInput, ev, t0);
      return ev;
    } catch (err) {
      log(req, path, input, hasInput, { defined: false, result: undefined, decisionId, metrics: {} }, t0, { code: 'evaluation_error', message: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  };

  const run = (req: IncomingMessage, path: CanonicalPath, input: unknown, hasInput: boolean, t0: bigint, verdict = false): Promise<Evaluated> => {
    const target = targetOf(path);
    if (target !== null) return decide(req, target, path, input, hasInput, t0, verdict);
    return Promise.resolve(evaluate(req, path, input, hasInput, t0));
  };

  const answerV1 = (res: ServerResponse, ev: Evaluated, query: Query, t0: bigint, warning: boolean): number => {
    const body: Record<string, unknown> = {};
    if (ev.defined) body.result = ev.result;
    body.decision_id = ev.decisionId;
    const warnings: string[] = warning ? [MISSING_INPUT_WARNING.message] : [];
    if (query !== undefined) {
      // ?instrument asks for a superset of ?metrics: wasmgate's timers are all it has
      if (flag(query, 'metrics') || flag(query, 'instrument')) body.metrics = { ...ev.metrics, timer_server_handler_ns: Number(process.hrtime.bigint() - t0) };
      if (flag(query, 'provenance')) {
        const b = bundleRevisions();
        body.provenance = { version: deps.version, build_commit: BUILD.commit, build_timestamp: BUILD.timestamp, build_hostname: BUILD.hostname, ...(b ? { bundles: b } : {}) };
      }
      const explain = query.get('explain');
      if (explain !== null && explain !== 'off') warnings.push(`explain=${explain} is not supported: wasmgate evaluates compiled wasm policies, which keep no trace; run the query with \`opa eval --explain\` on the bundle's Rego`);
    }
    if (warnings.length > 0) body.warning = { code: MISSING_INPUT_WARNING.code, message: warnings.join('; ') };
    sendJson(res, 200, body, flag(query, 'pretty'), undefined, compress);
    return 200;
  };

  return {
    async postV1(req, res, path, query) {
      const t0 = process.hrtime.bigint();
      const raw = await readBody(req, limits);
      let input: unknown;
      let hasInput = false;
      if (raw.length > 0) {
        const doc = parseDocument(raw, limits, 'body contains malformed input document', req.headers['content-type']);
        if (isObject(doc) && doc.input !== undefined && doc.input !== null) {
          input = doc.input;
          hasInput = true;
        } else if (!isObject(doc) && doc !== null) {
          throw badRequest('body contains malformed input document: the body must be an object like {"input": …}');
        }
      }
      const ev = await run(req, path, input, hasInput, t0, flag(query, 'verdict'));
      return answerV1(res, ev, query, t0, !hasInput);
    },
    async getV1(req, res, path, query) {
      const t0 = process.hrtime.bigint();
      const param = query?.get('input');
      let input: unknown;
      let hasInput = false;
      if (param !== undefined && param !== null) {
        if (Buffer.byteLength(param) > limits.maxLength) throw new ApiError(413, 'invalid_parameter', `input parameter too large: the limit is ${limits.maxLength} bytes (server.decoding.max_length)`);
        input = parseDocument(param, limits, 'parameter contains malformed input document');
        hasInput = input !== null;
      }
      const ev = await run(req, path, input, hasInput, t0, flag(query, 'verdict'));
      return answerV1(res, ev, query, t0, false);
    },
    async postV0(req, res, path, query) {
      const t0 = process.hrtime.bigint();
      const raw = await readBody(req, limits);
      const hasInput = raw.length > 0;
      const input = hasInput ? parseDocument(raw, limits, 'unexpected parse error for input', req.headers['content-type']) : undefined;
      const ev = await run(req, path, input, hasInput, t0);
      if (!ev.defined) throw new ApiError(404, 'undefined_document', `document missing: data.${path.replaceAll('/', '.')}`);
      sendJson(res, 200, ev.result, flag(query, 'pretty'), undefined, compress);
      return 200;
    },
    async postDefault(req, res, query) {
      const t0 = process.hrtime.bigint();
      const raw = await readBody(req, limits);
      const hasInput = raw.length > 0;
      const input = hasInput ? parseDocument(raw, limits, 'unexpected parse error for input', req.headers['content-type']) : undefined;
      const ev = await run(req, defaultPath, input, hasInput, t0);
      if (!ev.defined) throw new ApiError(404, 'undefined_document', `document missing: ${defaultDotted}`);
      sendJson(res, 200, ev.result, flag(query, 'pretty'), undefined, compress);
      return 200;
    },
  };
}
