import { createConsoleLogger, isLogLevel, TaskqError, type LogLevel } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { loadApp } from '../load-app';
import { tlsOverride, type TlsFlags } from '../tls-flags';

/** Options of `taskq worker`, as commander parses them. */
export interface WorkerCommandOptions extends TlsFlags {
  app: string;
  queue?: string[];
  concurrency?: string;
  prefetchMultiplier?: string;
  config?: string;
  broker?: string;
  resultBackend?: string;
  loglevel: string;
  drainTimeout?: string;
  timeLimit?: string;
  softTimeLimit?: string;
  maxRedeliveries?: string;
  resultStoreTimeout?: string;
}

/**
 * `taskq worker`: load the app, start a worker, stop it cleanly on SIGINT/SIGTERM (a second
 * signal exits at once). Resolves with the process exit code.
 */
export async function runWorkerCommand(options: WorkerCommandOptions): Promise<number> {
  const level = options.loglevel.toLowerCase();
  if (!isLogLevel(level)) {
    throw new TaskqError('INVALID_OPTION', `--loglevel must be one of debug, info, warn, error, silent; found '${options.loglevel}'.`);
  }
  const concurrency = options.concurrency === undefined ? undefined : parseWholeNumber(options.concurrency, '--concurrency');
  const prefetchMultiplier =
    options.prefetchMultiplier === undefined ? undefined : parseWholeNumber(options.prefetchMultiplier, '--prefetch-multiplier');
  const drainTimeoutMs = options.drainTimeout === undefined ? undefined : parseWholeNumber(options.drainTimeout, '--drain-timeout') * 1000;
  const timeLimit = options.timeLimit === undefined ? undefined : parseSeconds(options.timeLimit, '--time-limit');
  const softTimeLimit = options.softTimeLimit === undefined ? undefined : parseSeconds(options.softTimeLimit, '--soft-time-limit');
  const maxRedeliveries = options.maxRedeliveries === undefined ? undefined : parseWholeNumber(options.maxRedeliveries, '--max-redeliveries');
  const resultStoreTimeoutMs =
    options.resultStoreTimeout === undefined ? undefined : Math.round(parseSeconds(options.resultStoreTimeout, '--result-store-timeout') * 1000);
  // The env var lets a TASKQ_LOG_LEVEL-less module pick up --loglevel for its own default logger.
  process.env['TASKQ_LOG_LEVEL'] = level;
  const app = await loadApp(options.app);
  app.configure({
    logger: createConsoleLogger(level as LogLevel),
    ...(options.broker !== undefined ? { brokerUrl: options.broker } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.resultBackend !== undefined ? { resultBackend: options.resultBackend } : {}),
    ...tlsOverride(options),
  });
  const queues = options.queue?.flatMap((q) => q.split(',')).map((q) => q.trim()).filter(Boolean);
  const worker = new Worker(app, {
    ...(queues && queues.length ? { queues } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(prefetchMultiplier !== undefined ? { prefetchMultiplier } : {}),
    ...(drainTimeoutMs !== undefined ? { drainTimeoutMs } : {}),
    ...(timeLimit !== undefined ? { timeLimit } : {}),
    ...(softTimeLimit !== undefined ? { softTimeLimit } : {}),
    ...(maxRedeliveries !== undefined ? { maxRedeliveries } : {}),
    ...(resultStoreTimeoutMs !== undefined ? { resultStoreTimeoutMs } : {}),
  });

  return new Promise<number>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        app.logger.warn(`Second ${signal}: exiting now; unfinished tasks will be redelivered by the broker.`);
        process.exit(130);
      }
      app.logger.info(`${signal} received: stopping (finishing running tasks; send it again to exit at once).`);
      void shutdown(0);
    };
    const shutdown = async (code: number): Promise<void> => {
      await worker.stop();
      await app.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    worker.on('error', (err) => {
      app.logger.error(`${err.message} Exiting so a supervisor can restart the worker.`);
      void shutdown(3);
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    worker.start().catch(async (err: unknown) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await worker.stop().catch(() => undefined);
      await app.close().catch(() => undefined);
      reject(err);
    });
  });
}

/** A number of seconds above 0; fractions allowed (`--time-limit 0.5`). */
function parseSeconds(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\s*\d*\.?\d+\s*$/.test(text) || !Number.isFinite(value) || value <= 0) {
    throw new TaskqError('INVALID_OPTION', `${flag} must be a number of seconds above 0 (e.g. 300 or 0.5), found '${text}'.`);
  }
  return value;
}

function parseWholeNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new TaskqError('INVALID_OPTION', `${flag} must be a whole number ≥ 1, found '${text}'.`);
  }
  return value;
}
