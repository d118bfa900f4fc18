import { createApp, type TaskqApp } from '@taskq/core';
import { loadApp } from '../load-app';

/** Options of `taskq routes`. */
export interface RoutesCommandOptions {
  app?: string;
  config?: string;
  queue?: string;
  exchange?: string;
  routingKey?: string;
}

/**
 * `taskq routes <task…>`: print where each task would be sent and why, without connecting.
 * Works from a routing config alone (`--config`) or from the app's (`--app`).
 */
export async function runRoutesCommand(
  taskNames: string[],
  options: RoutesCommandOptions,
  out = (s: string) => process.stdout.write(s),
): Promise<number> {
  let app: TaskqApp;
  if (options.app) {
    app = await loadApp(options.app);
    if (options.config !== undefined) app.configure({ config: options.config });
  } else {
    app = createApp(options.config !== undefined ? { config: options.config } : {});
  }
  const explicit = {
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.exchange !== undefined ? { exchange: options.exchange } : {}),
    ...(options.routingKey !== undefined ? { routingKey: options.routingKey } : {}),
  };
  for (const name of taskNames) {
    const route = app.router.resolve(name, explicit);
    const queue = route.queue;
    const lines = [
      `${name}`,
      `  exchange:    ${route.exchange === '' ? "'' (default exchange)" : `${route.exchange} (${route.exchangeDeclaration?.type ?? 'existing'})`}`,
      `  routing key: ${route.routingKey}`,
      `  queue:       ${queue ? `${queue.name}${queue.maxPriority ? ` (max priority ${queue.maxPriority})` : ' (no priority)'}${queue.durable ? ', durable' : ', transient'}` : '(decided by the exchange’s bindings)'}`,
      `  why:         ${route.reason}`,
    ];
    out(`${lines.join('\n')}\n`);
  }
  return 0;
}
