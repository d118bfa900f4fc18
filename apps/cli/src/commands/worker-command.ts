import { createConsoleLogger, TaskqError, type LogLevel } from '@taskq/core';
import { isMemoryBrokerUrl } from '@taskq/core/internal';
import { Beat, Worker } from '@taskq/worker';
import { UsageError } from '../cli-error';
import { loadApp } from '../load-app';
import { tlsOverride, type TlsFlags } from '../tls-flags';

/** Options of `taskq worker`, as commander parses them (numbers checked by its option parsers). */
export interface WorkerCommandOptions extends TlsFlags {
  app: string;
  queue?: string[];
  concurrency?: number;
  prefetchMultiplier?: number;
  config?: string;
  broker?: string;
  resultBackend?: string;
  /** One of commander's `choices`. */
  loglevel: LogLevel;
  /** Seconds. */
  drainTimeout?: number;
  timeLimit?: number;
  softTimeLimit?: number;
  maxRedeliveries?: number;
  /** Seconds. */
  resultStoreTimeout?: number;
  /** Run beat in this process too. */
  beat?: boolean;
  schedule?: string;
  beatName?: string;
}

/**
 * `taskq worker`: load the app, start a worker, stop it cleanly on SIGINT/SIGTERM (a second
 * signal exits at once). Resolves with the process exit code.
 */
export async function runWorkerCommand(options: WorkerCommandOptions): Promise<number> {
  const level = options.loglevel;
  const { concurrency, prefetchMultiplier, timeLimit, softTimeLimit, maxRedeliveries } = options;
  const drainTimeoutMs = options.drainTimeout === undefined ? undefined : options.drainTimeout * 1000;
  const resultStoreTimeoutMs = options.resultStoreTimeout === undefined ? undefined : Math.round(options.resultStoreTimeout * 1000);
  // The env var lets a TASKQ_LOG_LEVEL-less module pick up --loglevel for its own default logger.
  process.env['TASKQ_LOG_LEVEL'] = level;
  const app = await loadApp(options.app);
  app.configure({
    logger: createConsoleLogger(level),
    ...(options.broker !== undefined ? { brokerUrl: options.broker } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...(options.resultBackend !== undefined ? { resultBackend: options.resultBackend } : {}),
    ...tlsOverride(options),
  });
  if (isMemoryBrokerUrl(app.brokerUrl)) {
    // An in-process broker cannot be shared between a producer process and this one.
    throw new TaskqError(
      'INVALID_OPTION',
      `The broker is ${app.brokerUrlMasked}, the in-process broker for tests: a taskq worker process would consume ` +
        `its own empty copy. Run the worker inside the test process (new Worker(app) from @taskq/worker), or give ` +
        `--broker / TASKQ_BROKER_URL an amqp:// URL.`,
    );
  }
  const queues = options.queue
    ?.flatMap((q) => q.split(','))
    .map((q) => q.trim())
    .filter(Boolean);
  const worker = new Worker(app, {
    ...(queues?.length ? { queues } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(prefetchMultiplier !== undefined ? { prefetchMultiplier } : {}),
    ...(drainTimeoutMs !== undefined ? { drainTimeoutMs } : {}),
    ...(timeLimit !== undefined ? { timeLimit } : {}),
    ...(softTimeLimit !== undefined ? { softTimeLimit } : {}),
    ...(maxRedeliveries !== undefined ? { maxRedeliveries } : {}),
    ...(resultStoreTimeoutMs !== undefined ? { resultStoreTimeoutMs } : {}),
  });

  if (!options.beat && (options.schedule !== undefined || options.beatName !== undefined)) {
    throw new UsageError('--schedule and --beat-name go with --beat (run beat in this worker), or use taskq beat.');
  }
  const beat = options.beat
    ? new Beat(app, {
        ...(options.schedule !== undefined ? { scheduleFile: options.schedule } : {}),
        ...(options.beatName !== undefined ? { name: options.beatName } : {}),
      })
    : undefined;

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
      await beat?.stop();
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
    beat?.on('error', (err) => {
      app.logger.error(`${err.message} Exiting so a supervisor can restart the worker.`);
      void shutdown(3);
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const started = worker.start().then(() => beat?.start());
    started.catch(async (err: unknown) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await beat?.stop().catch(() => undefined);
      await worker.stop().catch(() => undefined);
      await app.close().catch(() => undefined);
      reject(err);
    });
  });
}
