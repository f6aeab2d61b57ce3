import type { Command } from 'commander';
import { createLogger } from '../../common/logger.ts';
import type { Logger } from '../../common/logger.ts';
import { WasmgateError } from '../../common/error.ts';
import { loadConfig, type ConfigOverrides } from '../../config/load.ts';
import { startService, type RunningService } from '../../server/service.ts';
import { createPipelineWiring } from '../../wiring/pipeline-wiring.ts';
import { configBaseDir } from '../config-base.ts';

export interface ServeOptions {
  config?: string;
  addr?: string;
  unixSocket?: string;
  logDecisions?: boolean;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serves decisions over OPA\'s REST API on 127.0.0.1:8181 and/or a Unix socket (systemd socket activation accepted).')
    .option('-c, --config <file>', 'YAML config file (default: the embedded default config)')
    .option('-a, --addr <host:port>', 'TCP listen address, e.g. 127.0.0.1:8181 ("none" for no TCP listener)')
    .option('-u, --unix-socket <path>', 'Unix socket path (mode from listeners.unix.mode, default 0660)')
    .option('--log-decisions', 'log every decision (OPA decision-log event: input, result, reasons) as a JSON line on stdout (decision_logs.console: true)')
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

/** Runs until SIGTERM/SIGINT, then shuts down gracefully. */
export async function serve(opts: ServeOptions): Promise<void> {
  const logger = createLogger();
  const overrides: ConfigOverrides = {
    ...(opts.addr !== undefined ? { addr: opts.addr } : {}),
    ...(opts.unixSocket !== undefined ? { unixSocket: opts.unixSocket } : {}),
    ...(opts.logDecisions === true ? { logDecisions: true } : {}),
  };
  const { config, source } = await loadConfig(opts.config, { overrides });
  logger.info({ config: source }, 'configuration loaded');
  const wire = createPipelineWiring({ baseDir: configBaseDir(opts.config) });
  const service = await startService({ config, wire, logger });
  const onHangup = (): void => {
    reload(service, opts, overrides, logger).catch((err: unknown) => logger.error({ err }, 'configuration reload failed'));
  };
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onHangup);
      service.stop().then(resolve, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exitCode = 1;
        resolve();
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * SIGHUP: reads the config file again and swaps what can change without a restart. A file that does not parse,
 * validate or build (a bad trust key, an unreadable database) is logged with its reason and changes nothing.
 */
async function reload(service: RunningService, opts: ServeOptions, overrides: ConfigOverrides, logger: Logger): Promise<void> {
  if (opts.config === undefined) {
    logger.warn('SIGHUP: running on the embedded default config, there is no file to reload (start with --config)');
    return;
  }
  try {
    const { config: next } = await loadConfig(opts.config, { overrides });
    const outcome = await service.reconfigure(next);
    logger.info({ config: opts.config, applied: outcome.applied, restart_needed: outcome.restart_needed },
      outcome.applied.length > 0 ? 'configuration reloaded' : 'configuration reloaded: nothing to swap');
    if (outcome.restart_needed.length > 0) {
      logger.warn({ restart_needed: outcome.restart_needed }, `these sections changed but take effect only after a restart: ${outcome.restart_needed.join(', ')}`);
    }
  } catch (err) {
    const code = err instanceof WasmgateError ? err.code : 'CONFIG_RELOAD_FAILED';
    logger.error({ code, err }, `configuration reload refused, the running configuration stays: ${err instanceof Error ? err.message : String(err)}`);
  }
}
