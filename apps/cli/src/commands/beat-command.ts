import { createConsoleLogger, type LogLevel } from '@taskq/core';
import { Beat } from '@taskq/worker';
import { loadApp } from '../load-app';
import { tlsOverride, type TlsFlags } from '../tls-flags';

/** Options of `taskq beat`, as commander parses them. */
export interface BeatCommandOptions extends TlsFlags {
  app: string;
  schedule?: string;
  name?: string;
  config?: string;
  broker?: string;
  loglevel: LogLevel;
}

/**
 * `taskq beat`: load the app (and a schedule file), campaign to be the active beat, send each
 * periodic task at its slots; on SIGINT/SIGTERM stop and hand over at once. Resolves with the exit code.
 */
export async function runBeatCommand(options: BeatCommandOptions): Promise<number> {
  process.env['TASKQ_LOG_LEVEL'] = options.loglevel;
  const app = await loadApp(options.app);
  app.configure({
    logger: createConsoleLogger(options.loglevel),
    ...(options.broker !== undefined ? { brokerUrl: options.broker } : {}),
    ...(options.config !== undefined ? { config: options.config } : {}),
    ...tlsOverride(options),
  });
  const beat = new Beat(app, {
    ...(options.schedule !== undefined ? { scheduleFile: options.schedule } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
  });
  return new Promise<number>((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      app.logger.info(`${signal} received: stopping beat (a standby takes over at once).`);
      void shutdown(0);
    };
    const shutdown = async (code: number): Promise<void> => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await beat.stop();
      await app.close();
      resolve(code);
    };
    beat.on('error', (err) => {
      app.logger.error(`${err.message} Exiting so a supervisor can restart beat.`);
      void shutdown(3);
    });
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    beat.start().catch(async (err: unknown) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await beat.stop().catch(() => undefined);
      await app.close().catch(() => undefined);
      reject(err);
    });
  });
}
