import type { Command } from 'commander';
import { createLogger } from '../../common/logger.ts';
import { loadConfig } from '../../config/load.ts';
import { startService } from '../../server/service.ts';
import { createPipelineWiring } from '../../server/pipeline-wiring.ts';
import type { Wire } from '../../server/wiring.ts';
import { configBaseDir } from '../config-base.ts';

export interface ServeOptions {
  config?: string;
  addr?: string;
  unixSocket?: string;
  logDecisions?: boolean;
}

/** Overrides the pipeline wiring (tests); default: the real pipeline. */
let wiringOverride: Wire | undefined;
export function setServeWiring(wire: Wire): void {
  wiringOverride = wire;
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
  const { config, source } = await loadConfig(opts.config, {
    overrides: {
      ...(opts.addr !== undefined ? { addr: opts.addr } : {}),
      ...(opts.unixSocket !== undefined ? { unixSocket: opts.unixSocket } : {}),
      ...(opts.logDecisions === true ? { logDecisions: true } : {}),
    },
  });
  logger.info({ config: source }, 'configuration loaded');
  const wire = wiringOverride ?? createPipelineWiring({ baseDir: configBaseDir(opts.config) });
  const service = await startService({ config, wire, logger });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info({ signal }, 'shutting down');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
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
