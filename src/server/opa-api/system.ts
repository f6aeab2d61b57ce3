import type { IncomingMessage, ServerResponse } from 'node:http';
import { toPublicConfig } from '../../config/redact.ts';
import type { ServerDeps } from '../types.ts';
import { ApiError } from './errors.ts';
import { flag, sendJson } from './json.ts';

type Query = URLSearchParams | undefined;

/** GET /health: 200 {} ; `?bundles` 500 until every configured bundle activated once; `?plugins` 500 unless all OK. */
export function health(deps: ServerDeps, res: ServerResponse, query: Query): number {
  const pretty = flag(query, 'pretty');
  if ((flag(query, 'bundles') || flag(query, 'bundle')) && !deps.status.bundlesReady()) {
    sendJson(res, 500, { error: 'one or more bundles are not activated' }, pretty);
    return 500;
  }
  if (flag(query, 'plugins') && !deps.status.pluginsReady(query?.getAll('exclude-plugin') ?? [])) {
    sendJson(res, 500, { error: 'one or more plugins are not up' }, pretty);
    return 500;
  }
  sendJson(res, 200, {}, pretty);
  return 200;
}

/**
 * GET /health/{path}: OPA's health policy, `data.system.health.<path>` of the active
 * bundle, evaluated with the plugin states as input; 200 `{}` only when it is true.
 */
export function healthPolicy(deps: ServerDeps, res: ServerResponse, query: Query, rawPath: string): number {
  const pretty = flag(query, 'pretty');
  let rest: string;
  try {
    rest = decodeURIComponent(rawPath);
  } catch {
    rest = rawPath;
  }
  const segs = rest.split('/').filter((s) => s !== '' && s !== '.');
  const path = ['system', 'health', ...segs].join('/');
  const dotted = `data.${path.replaceAll('/', '.')}`;
  const snap = deps.status.snapshot();
  const input = {
    plugin_state: Object.fromEntries(Object.entries(snap.plugins).map(([k, v]) => [k, v.state])),
    plugins_ready: deps.status.pluginsReady(),
  };
  const bundle = deps.bundles.active();
  let answer: string | null;
  if (segs.includes('..')) {
    answer = `health check (${dotted}) was undefined`;
  } else if (bundle === null) {
    answer = `health check (${dotted}) was undefined`;
  } else {
    try {
      const r = bundle.evaluate(path, input);
      answer = !r.defined ? `health check (${dotted}) was undefined` : r.result === true ? null : `health check (${dotted}) returned unexpected value`;
    } catch (err) {
      answer = err instanceof Error ? err.message : String(err);
    }
  }
  if (answer === null) {
    sendJson(res, 200, {}, pretty);
    return 200;
  }
  sendJson(res, 500, { error: answer }, pretty);
  return 500;
}

/** GET /v1/status: OPA's status event, plus wasmgate's components (DB version, registry errors, caches). */
export async function status(deps: ServerDeps, res: ServerResponse, query: Query): Promise<number> {
  const snap = deps.status.snapshot();
  const result: Record<string, unknown> = {
    labels: deps.labels,
    bundles: snap.bundles,
    plugins: snap.plugins,
  };
  const dl = snap.plugins.decision_logs;
  if (dl) result.decision_logs = { ...(dl.state === 'ERROR' ? { code: 'decision_log_error', message: dl.message } : {}), metrics: deps.decisionLog.stats() };
  if (deps.cacheStats) result.caches = deps.cacheStats();
  if (deps.config.status.prometheus) result.metrics = { prometheus: await deps.metrics.registry.getMetricsAsJSON() };
  sendJson(res, 200, { result }, flag(query, 'pretty'));
  return 200;
}

/** GET /v1/config: the active config without credentials and key material. */
export function config(res: ServerResponse, query: Query, publicConfig: Record<string, unknown>): number {
  sendJson(res, 200, { result: publicConfig }, flag(query, 'pretty'));
  return 200;
}

/** The public config as /v1/config answers it: OPA's `labels` carry the instance `id` and `version`. */
export function publicConfigOf(deps: ServerDeps): Record<string, unknown> {
  return { ...toPublicConfig(deps.config), labels: { ...deps.labels } };
}

/** GET /metrics: Prometheus text format. */
export async function prometheus(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<number> {
  const text = await deps.metrics.registry.metrics();
  res.statusCode = 200;
  res.setHeader('content-type', deps.metrics.registry.contentType);
  res.end(req.method === 'HEAD' ? undefined : text);
  return 200;
}

export const methodNotAllowed = (method: string, path: string, allowed: string): ApiError =>
  new ApiError(405, 'invalid_operation', `${method} is not allowed on ${path}: wasmgate serves policies from bundles (read-only); use ${allowed}`, { headers: { allow: allowed } });
