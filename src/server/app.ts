import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Histogram } from 'prom-client';
import { createDataApi, type DataApi } from './opa-api/data.ts';
import { resolveDataPath, type CanonicalPath } from './opa-api/data-path.ts';
import { ApiError, toApiError } from './opa-api/errors.ts';
import { flag, sendJson, splitUrl } from './opa-api/json.ts';
import { config, health, healthPolicy, methodNotAllowed, prometheus, publicConfigOf, status } from './opa-api/system.ts';
import type { ServerDeps } from './types.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams | undefined) => number | Promise<number>;

export interface WasmgateApp {
  /** the Express app (all routes) */
  express: Express;
  /**
   * The request listener for node:http: the Data API's POST hot path is
   * answered directly (same handlers, no router walk), everything else by Express.
   */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
}

// Label children are looked up once per (handler, method, code), not per request.
function createObserver(h: Histogram<'code' | 'handler' | 'method'>): (handler: string, method: string, code: number, t0: bigint) => void {
  const children = new Map<string, { observe(v: number): void }>();
  return (handler, method, code, t0) => {
    const key = `${handler} ${method} ${code}`;
    let c = children.get(key);
    if (c === undefined) {
      c = h.labels({ code: String(code), handler, method: method.toLowerCase() });
      children.set(key, c);
    }
    c.observe(Number(process.hrtime.bigint() - t0) / 1e9);
  };
}

/** Builds the HTTP app: OPA's Data API, health, status, config, metrics; one error funnel in OPA's shape. */
export function createApp(deps: ServerDeps): WasmgateApp {
  const data: DataApi = createDataApi(deps);
  const observe = createObserver(deps.metrics.httpRequestDuration);
  const publicConfig = publicConfigOf(deps);

  const fail = (res: ServerResponse, err: unknown, _pretty: boolean): number => {
    const e: ApiError = toApiError(err);
    if (e.status >= 500) deps.logger.error({ err: e.cause ?? e }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return e.status;
    }
    // OPA writes its error bodies indented (server/writer.Error), whatever ?pretty says
    sendJson(res, e.status, e.toErrorV1(), true, e.headers);
    return e.status;
  };

  // Wraps a handler: parses the query once, funnels errors, records http_request_duration_seconds.
  const wrap = (name: string, fn: Handler) => (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = process.hrtime.bigint();
    const { query } = splitUrl(req.url ?? '/');
    let done: number | Promise<number>;
    try {
      done = fn(req, res, query);
    } catch (err) {
      observe(name, req.method ?? 'GET', fail(res, err, flag(query, 'pretty')), t0);
      return;
    }
    if (typeof done === 'number') {
      observe(name, req.method ?? 'GET', done, t0);
      return;
    }
    done.then(
      (code) => observe(name, req.method ?? 'GET', code, t0),
      (err: unknown) => observe(name, req.method ?? 'GET', fail(res, err, flag(query, 'pretty')), t0),
    );
  };

  // The one canonical data path of a request (data-path.ts); a raw `//`, `.`, `..` or trailing slash redirects as OPA's router does.
  const dataRoute = (prefix: string, fn: (req: IncomingMessage, res: ServerResponse, path: CanonicalPath, q: URLSearchParams | undefined) => Promise<number>): Handler =>
    (req, res, q) => {
      const url = req.url ?? '/';
      const { pathname } = splitUrl(url);
      const resolved = resolveDataPath(pathname.slice(prefix.length));
      if (resolved.kind === 'redirect') {
        const search = url.includes('?') ? url.slice(url.indexOf('?')) : '';
        res.statusCode = resolved.status;
        res.setHeader('location', `${prefix}${resolved.rest === '' ? '' : `/${resolved.rest}`}${search}`);
        res.setHeader('vary', 'Accept-Encoding');
        res.setHeader('content-length', 0);
        res.end();
        return resolved.status;
      }
      return fn(req, res, resolved.path, q);
    };

  const v1Post = wrap('v1/data', dataRoute('/v1/data', (req, res, p, q) => data.postV1(req, res, p, q)));
  const v1Get = wrap('v1/data', dataRoute('/v1/data', (req, res, p, q) => data.getV1(req, res, p, q)));
  const v0Post = wrap('v0/data', dataRoute('/v0/data', (req, res, p, q) => data.postV0(req, res, p, q)));
  const index = wrap('index', (req, res, q) => data.postDefault(req, res, q));
  const refuse = (name: string, allowed: string) => wrap(name, (req) => {
    throw methodNotAllowed(req.method ?? '', splitUrl(req.url ?? '/').pathname, allowed);
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  for (const r of deps.routes ?? []) app.use(r.path, r.handler);
  // OPA's routes answer GET only (Express would also answer HEAD on a GET route)
  // OPA's routes do not answer HEAD (Express would on a GET route): 405 with an empty body, as OPA's router
  app.head(['/', '/v1/data', '/v1/data/{*path}', '/v0/data', '/v0/data/{*path}', '/health', '/health/{*path}', '/v1/status', '/v1/config'], wrap('head', (_req, res) => {
    res.statusCode = 405;
    res.end();
    return 405;
  }));
  app.post(['/v1/data', '/v1/data/{*path}'], v1Post);
  app.get(['/v1/data', '/v1/data/{*path}'], v1Get);
  app.all(['/v1/data', '/v1/data/{*path}'], refuse('v1/data', 'GET, POST'));
  app.post(['/v0/data', '/v0/data/{*path}'], v0Post);
  app.all(['/v0/data', '/v0/data/{*path}'], refuse('v0/data', 'POST'));
  app.post('/', index);
  app.get('/', wrap('index', (_req, res, q) => {
    sendJson(res, 200, { name: 'wasmgate', version: deps.version, api: ['/v1/data/{path}', '/health', '/v1/status', '/v1/config', '/metrics'] }, flag(q, 'pretty'));
    return 200;
  }));
  app.get('/health', wrap('health', (_req, res, q) => health(deps, res, q)));
  app.get('/health/{*path}', wrap('health', (req, res, q) => healthPolicy(deps, res, q, splitUrl(req.url ?? '/').pathname.slice('/health/'.length))));
  app.get('/v1/status', wrap('v1/status', (_req, res, q) => status(deps, res, q)));
  app.get('/v1/config', wrap('v1/config', (_req, res, q) => config(res, q, publicConfig)));
  app.get('/metrics', (req: Request, res: Response, next: NextFunction) => {
    prometheus(deps, req, res).catch(next);
  });
  for (const p of ['/v1/policies', '/v1/policies/{*id}', '/v1/query', '/v1/compile', '/v1/compile/{*path}']) {
    app.all(p, wrap('catchall', () => {
      throw new ApiError(501, 'invalid_operation', 'not implemented: wasmgate serves compiled wasm bundles; use the Data API (/v1/data/{path})');
    }));
  }
  app.use(wrap('catchall', (req) => {
    throw new ApiError(404, 'resource_not_found', `no route for ${req.method ?? ''} ${splitUrl(req.url ?? '/').pathname}: see /v1/data/{path}, /health, /v1/status, /metrics`);
  }));
  // Express's own errors (none expected: handlers funnel their errors) in OPA's shape.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    fail(res, err, false);
  });

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url;
    if (req.method === 'POST' && url !== undefined && url.startsWith('/v1/data/')) {
      v1Post(req, res);
      return;
    }
    app(req as Request, res as Response);
  };
  return { express: app, listener };
}
