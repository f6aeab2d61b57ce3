import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '../../decide/types.ts';
import type { DecisionLogRecord } from '../../logs/event.ts';
import type { ServerDeps } from '../types.ts';
import { readBody, parseDocument, type BodyLimits } from './body.ts';
import { createDecisionPathTable, type DecisionTarget } from './decision-paths.ts';
import { toDecisionInput } from './decision-input.ts';
import { ApiError, badRequest } from './errors.ts';
import { flag, sendJson } from './json.ts';
import { createRefCheck } from './ref-check.ts';

type Query = URLSearchParams | undefined;

export interface DataApi {
  /** POST /v1/data/{path}: body {"input": …} */
  postV1(req: IncomingMessage, res: ServerResponse, path: string, query: Query): Promise<number>;
  /** GET /v1/data/{path}?input=… */
  getV1(req: IncomingMessage, res: ServerResponse, path: string, query: Query): Promise<number>;
  /** POST /v0/data/{path}: the body is the input, the answer the raw value */
  postV0(req: IncomingMessage, res: ServerResponse, path: string, query: Query): Promise<number>;
  /** POST /: the default decision */
  postDefault(req: IncomingMessage, res: ServerResponse, query: Query): Promise<number>;
}

interface Evaluated {
  defined: boolean;
  result: unknown;
  decisionId: string;
  metrics: Record<string, number>;
}

const MISSING_INPUT_WARNING = { code: 'api_usage_warning', message: "'input' key missing from the request" };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The OPA Data API over the Decider (decision paths) and the active bundle (every other path). */
export function createDataApi(deps: ServerDeps): DataApi {
  const { config, decider, bundles, metrics, decisionLog } = deps;
  const limits: BodyLimits = {
    maxLength: config.server.decoding.max_length,
    gzipMaxLength: config.server.decoding.gzip.max_length,
    maxDepth: config.server.decoding.max_depth,
  };
  const targetOf = createDecisionPathTable(config.decision.paths);
  const refCheck = createRefCheck(config.registries);
  const defaultPath = config.default_decision.replace(/^\/+|\/+$/g, '');
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

  // Answers a decision path through the Decider; the result's shape is fixed here, fail closed.
  const decide = async (req: IncomingMessage, target: DecisionTarget, path: string, input: unknown, hasInput: boolean, t0: bigint): Promise<Evaluated> => {
    if (!hasInput) throw badRequest(`${path} needs an input: send {"input":{"module":{"ref":"registry/repo@sha256:…"}}}`);
    const di = toDecisionInput(input, path);
    const problem = refCheck(di.ref);
    if (problem !== null) throw badRequest(problem.message);
    const t1 = process.hrtime.bigint();
    // the answer's shape for this target; undefined: an undefined document
    const answer = (d: Decision): unknown => {
      switch (target.kind) {
        case 'document':
          return { allow: d.allow === true && d.errors.length === 0, deny: d.deny, digest: d.digest };
        case 'allow':
          return d.allow === true && d.errors.length === 0;
        case 'deny':
          return d.deny;
        default:
          return d.result;
      }
    };
    // the Decider logs the decision (src/decide/logged.ts); the transport tells it what it cannot know
    const decision: Decision = await decider.decide({
      ref: di.ref,
      request: di.request,
      path: target.kind === 'rule' ? target.path : target.base,
      log: { transport: 'http', path, answer, callerInput: input, requested_by: requestedBy(req), req_id: reqIdOf(req), headers: req.headers, started: t0, metrics: { timer_rego_input_parse_ns: Number(t1 - t0) } },
    });
    const evalNs = Number(process.hrtime.bigint() - t1);
    (decision.errors.length > 0 ? outcome.error : decision.allow ? outcome.allow : outcome.deny).inc();
    const result = answer(decision);
    const m: Record<string, number> = { ...decision.metrics, timer_rego_input_parse_ns: Number(t1 - t0), timer_rego_query_eval_ns: evalNs };
    if (decision.cached) m.counter_server_query_cache_hit = 1;
    return { defined: result !== undefined, result, decisionId: decision.decision_id, metrics: m };
  };

  // Evaluates any other path on the active bundle, as OPA would.
  const evaluate = (req: IncomingMessage, path: string, input: unknown, hasInput: boolean, t0: bigint): Evaluated => {
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

  const run = (req: IncomingMessage, path: string, input: unknown, hasInput: boolean, t0: bigint): Promise<Evaluated> => {
    const target = targetOf(path);
    if (target !== null && target.kind === 'ancestor') {
      // without an input nothing can pass as evidence; with one, the caller must ask the decision path itself
      if (hasInput) throw badRequest(`data.${path.replaceAll('/', '.') || '(root)'} contains the decision path ${target.base}, whose evidence wasmgate assembles itself: ask /v1/data/${target.base} with {"input":{"module":{"ref":…}}}`);
      return Promise.resolve(evaluate(req, path, input, hasInput, t0));
    }
    if (target !== null) return decide(req, target, path, input, hasInput, t0);
    return Promise.resolve(evaluate(req, path, input, hasInput, t0));
  };

  const answerV1 = (res: ServerResponse, ev: Evaluated, query: Query, t0: bigint, warning: boolean): number => {
    const body: Record<string, unknown> = {};
    if (ev.defined) body.result = ev.result;
    body.decision_id = ev.decisionId;
    if (query !== undefined) {
      if (flag(query, 'metrics')) body.metrics = { ...ev.metrics, timer_server_handler_ns: Number(process.hrtime.bigint() - t0) };
      if (flag(query, 'provenance')) body.provenance = { version: deps.version, bundles: bundleRevisions() ?? {} };
    }
    if (warning) body.warning = MISSING_INPUT_WARNING;
    sendJson(res, 200, body, flag(query, 'pretty'));
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
      const ev = await run(req, path, input, hasInput, t0);
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
      const ev = await run(req, path, input, hasInput, t0);
      return answerV1(res, ev, query, t0, false);
    },
    async postV0(req, res, path, query) {
      const t0 = process.hrtime.bigint();
      const raw = await readBody(req, limits);
      const hasInput = raw.length > 0;
      const input = hasInput ? parseDocument(raw, limits, 'unexpected parse error for input', req.headers['content-type']) : undefined;
      const ev = await run(req, path, input, hasInput, t0);
      if (!ev.defined) throw new ApiError(404, 'undefined_document', `document undefined: data.${path.replaceAll('/', '.')}`);
      sendJson(res, 200, ev.result, flag(query, 'pretty'));
      return 200;
    },
    async postDefault(req, res, query) {
      const t0 = process.hrtime.bigint();
      const raw = await readBody(req, limits);
      const hasInput = raw.length > 0;
      const input = hasInput ? parseDocument(raw, limits, 'unexpected parse error for input', req.headers['content-type']) : undefined;
      const ev = await run(req, defaultPath, input, hasInput, t0);
      if (!ev.defined) throw new ApiError(404, 'undefined_document', `document undefined: ${defaultDotted}`);
      sendJson(res, 200, ev.result, flag(query, 'pretty'));
      return 200;
    },
  };
}
