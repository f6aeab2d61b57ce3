import type { ServerResponse } from 'node:http';
import express, { type Request, type Response, type Router } from 'express';
import type { StatusSnapshot } from '../status/types.ts';
import type { LoadedBundle } from '../policy/engine/types.ts';
import { html } from './html.ts';
import { DECISION_SCRIPT, LIVE_SCRIPT, STYLE } from './assets.ts';
import type { DecisionRing } from './ring.ts';
import { decisionPage } from './views/decision.ts';
import { page } from './views/layout.ts';
import { listPage, matches, parseFilter, row } from './views/list.ts';
import { policyPage } from './views/policy.ts';

/** The active policy bundle, read only (the server's BundleProvider satisfies it). */
interface BundleProvider {
  active(): LoadedBundle | null;
}

/** No inline script, no remote loads, no framing: the pages show attacker-controlled strings. */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface UiDeps {
  ring: DecisionRing;
  bundles: BundleProvider;
  status: () => StatusSnapshot;
  trust: Record<string, unknown>;
  /** how often an idle event stream gets a keep-alive comment */
  heartbeatMs?: number;
}

export interface Ui {
  router: Router;
  /** ends the live event streams (at shutdown, so listeners can close) */
  close(): void;
}

function secure(res: ServerResponse): void {
  res.setHeader('content-security-policy', UI_CSP);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cache-control', 'no-store');
}

function send(res: Response, status: number, type: string, body: string): void {
  res.status(status).type(type).send(body);
}

const query = (req: Request): URLSearchParams => new URLSearchParams((req.originalUrl.split('?')[1] ?? ''));

/** The decision explorer under /ui/: server-rendered pages, one stylesheet, two small scripts. */
export function createUi(deps: UiDeps): Ui {
  const streams = new Set<Response>();
  const router = express.Router({ strict: true });
  router.use((_req, res, next) => {
    secure(res);
    next();
  });
  router.get('/', (req, res) => {
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
      res.redirect(301, '/ui/');
      return;
    }
    send(res, 200, 'html', listPage(deps.ring.list(), parseFilter(query(req)), deps.ring.capacity));
  });
  router.get('/decisions/:id', (req, res) => {
    const r = deps.ring.get(String(req.params.id));
    if (!r) {
      send(res, 404, 'html', page({ title: 'Not found', mode: 'served', body: html`<h1>Decision not found</h1><p>Only the last ${deps.ring.capacity} decisions are kept in memory, and none since the last restart are lost. <a href="/ui/">Back to the list</a>.</p>` }));
      return;
    }
    send(res, 200, 'html', decisionPage(r));
  });
  router.get('/decisions/:id/input.json', (req, res) => {
    const r = deps.ring.get(String(req.params.id));
    if (!r?.input) {
      send(res, 404, 'json', JSON.stringify({ code: 'resource_not_found', message: 'no input document kept for this decision' }));
      return;
    }
    res.setHeader('content-disposition', 'attachment; filename="input.json"');
    send(res, 200, 'json', JSON.stringify(r.input, null, 2));
  });
  router.get('/policy', (_req, res) => {
    send(res, 200, 'html', policyPage({ bundle: deps.bundles.active(), status: deps.status(), trust: deps.trust }));
  });
  router.get('/events', (req, res) => {
    const filter = parseFilter(query(req));
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('connection', 'keep-alive');
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const unsubscribe = deps.ring.subscribe((record) => {
      if (!matches(record, filter)) return;
      // One SSE event: the row's HTML on a single data line (the rendered row never contains a newline).
      res.write(`event: decision\nid: ${record.decision_id}\ndata: ${row(record).text.replace(/[\r\n]+/g, ' ')}\n\n`);
    });
    const beat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
    beat.unref();
    streams.add(res);
    res.on('close', () => {
      clearInterval(beat);
      unsubscribe();
      streams.delete(res);
    });
  });
  router.get('/assets/style.css', (_req, res) => send(res, 200, 'css', STYLE));
  router.get('/assets/live.js', (_req, res) => send(res, 200, 'js', LIVE_SCRIPT));
  router.get('/assets/decision.js', (_req, res) => send(res, 200, 'js', DECISION_SCRIPT));
  router.use((req, res) => {
    send(res, 404, 'html', page({ title: 'Not found', mode: 'served', body: html`<h1>Not found</h1><p>No page at <code>${req.originalUrl}</code>. <a href="/ui/">Recent decisions</a>.</p>` }));
  });
  return {
    router,
    close() {
      for (const s of streams) s.end();
      streams.clear();
    },
  };
}
