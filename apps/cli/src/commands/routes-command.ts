import { createApp, type QueueDeclaration, type ResolvedRoute, type TaskqApp } from '@taskq/core';
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
      `  queue:       ${queue ? describeQueue(queue, route) : '(decided by the exchange’s bindings)'}`,
      ...bandLines(route),
      `  why:         ${route.reason}`,
    ];
    out(`${lines.join('\n')}\n`);
  }
  return 0;
}

/** `orders (quorum, delivery limit 20, 3 priority bands), durable` or `reports (classic, max priority 10), durable`. */
function describeQueue(queue: QueueDeclaration, route: ResolvedRoute): string {
  const facts: string[] = [];
  if (queue.queueType === 'quorum') {
    facts.push('quorum');
    facts.push(queue.deliveryLimit === undefined ? 'no delivery limit' : `delivery limit ${queue.deliveryLimit}`);
    facts.push(route.bands ? `${route.bands.length} priority bands` : 'no priority');
  } else {
    facts.push('classic');
    facts.push(queue.maxPriority ? `max priority ${queue.maxPriority}` : 'no priority');
  }
  return `${queue.name} (${facts.join(', ')})${queue.durable ? ', durable' : ', transient'}`;
}

/** One line per priority band of a banded quorum queue, lowest first; none for other queues. */
function bandLines(route: ResolvedRoute): string[] {
  return (route.bands ?? []).map((band, i) => {
    const via = band.exchange === '' ? 'by name on the default exchange' : `through ${band.exchange}`;
    return `  ${i === 0 ? 'bands:      ' : '            '} priority ${band.min}-${band.max} → ${band.queue.name} (${via})`;
  });
}
