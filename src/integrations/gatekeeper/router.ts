/**
 * An Express 5 router answering Gatekeeper external data requests through the
 * Decider. Mount it with `app.use('/gatekeeper/v1/provide', createGatekeeperRouter(decider))`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { messageOf } from '../../common/error.ts';
import type { Logger } from '../../common/logger.ts';
import { createSilentLogger } from '../../common/logger.ts';
import type { Decider, Decision } from '../../decide/types.ts';
import { parseProviderRequest, providerResponse, type ProviderItem } from './protocol.ts';

export interface GatekeeperRouterOptions {
  /** per-key decision budget: keep it under the Provider's `timeout` (Gatekeeper advises 1–2 s; its webhook gives 3 s) */
  deadlineMs: number;
  /** keys per ProviderRequest (Gatekeeper batches a resource's images in one request) */
  maxKeys: number;
  /** decisions run at once per request */
  concurrency: number;
  /** the policy path asked (default `wasm/sbom`) */
  path: string;
  logger: Logger;
}

export const GATEKEEPER_DEFAULTS: GatekeeperRouterOptions = {
  deadlineMs: 2500,
  maxKeys: 100,
  concurrency: 8,
  path: 'wasm/sbom',
  logger: createSilentLogger(),
};

/** The mount path the lead wires (config key integrations.gatekeeper.path). */
export const GATEKEEPER_DEFAULT_PATH = '/gatekeeper/v1/provide';

function toItem(key: string, d: Decision): ProviderItem {
  const value = { allow: d.allow, deny: d.deny, digest: d.digest, decision_id: d.decision_id };
  // A decision that could not be made is a per-key error, so the constraint denies with the reason.
  const error = d.errors.length > 0 ? `wasmgate could not decide: ${d.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}` : '';
  return { key, value, error };
}

export function createGatekeeperRouter(decider: Decider, options: Partial<GatekeeperRouterOptions> = {}): Router {
  const opts: GatekeeperRouterOptions = { ...GATEKEEPER_DEFAULTS, ...options };
  const router = express.Router();
  router.use(express.json({ limit: '256kb', type: () => true }));

  router.post('/', async (req: Request, res: Response) => {
    const parsed = parseProviderRequest(req.body, opts.maxKeys);
    if ('error' in parsed) {
      res.status(400).json(providerResponse([], parsed.error));
      return;
    }
    const unique = [...new Set(parsed.keys)];
    const byKey = new Map<string, ProviderItem>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < unique.length) {
        const key = unique[next++];
        if (key === undefined) break;
        try {
          const d = await decider.decide({ ref: key, path: opts.path, deadlineMs: opts.deadlineMs, request: { runtime: 'kubernetes' }, log: { transport: 'gatekeeper', ...(req.socket.remoteAddress ? { requested_by: `${req.socket.remoteAddress}:${req.socket.remotePort ?? 0}` } : {}) } }, AbortSignal.timeout(opts.deadlineMs + 250));
          byKey.set(key, toItem(key, d));
        } catch (err) {
          byKey.set(key, { key, value: null, error: `wasmgate could not decide: ${messageOf(err)}` });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, unique.length) }, worker));
    const items = parsed.keys.map((k) => byKey.get(k) ?? { key: k, value: null, error: 'wasmgate could not decide: internal error' });
    opts.logger.debug({ keys: parsed.keys.length }, 'gatekeeper: answered ProviderRequest');
    res.status(200).json(providerResponse(items));
  });

  router.all('/', (_req: Request, res: Response) => {
    res.status(405).set('Allow', 'POST').json(providerResponse([], 'use POST with a ProviderRequest body'));
  });

  // Body-parser failures (bad JSON, too large) still answer in the ProviderResponse shape.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' ? err.status : 500;
    res.status(status).json(providerResponse([], `invalid ProviderRequest: ${messageOf(err)}`));
  });
  return router;
}
