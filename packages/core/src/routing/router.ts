/**
 * Decides where a task message goes, following Celery's `app/routes.py`: explicit options first,
 * then the routing files (an exact task name, then the most specific glob), then the default
 * queue. Pure: the producer declares and publishes what this returns.
 */
import { TaskqError } from '../errors';
import type { ExchangeDeclaration, QueueDeclaration, QueueRoute, RoutingConfig } from './route-config';
import { compileTaskPattern, type TaskPattern } from './glob';
import { topicMatches } from './topic-match';
import { quote } from './field-reader';

/** Where a message is published: the part of a route that {@link pickPriorityBand} may change. */
export interface PublishTarget {
  /** The exchange to publish to; `''` for the default exchange. */
  exchange: string;
  routingKey: string;
  /** The queue to make sure exists before publishing (and the delay ladder's target), when known. */
  queue?: QueueDeclaration;
}

/** Where the messages of one priority band go (see {@link QueueRoute.bands}). */
export interface BandTarget extends PublishTarget {
  /** Lowest and highest message priority of the band. */
  min: number;
  max: number;
  queue: QueueDeclaration;
}

/** Where to publish one task message, and why. */
export interface ResolvedRoute extends PublishTarget {
  /** How to declare `exchange`, when the routing config declares it. */
  exchangeDeclaration?: ExchangeDeclaration;
  /**
   * A quorum queue's priority bands, lowest first; the lowest is this route's own exchange, key and
   * queue. Publish through {@link pickPriorityBand}. Absent for every other queue.
   */
  bands?: readonly BandTarget[];
  /** One sentence saying which rule applied and from which file, for logs and `taskq route`. */
  reason: string;
  /** Which rule applied. */
  matchedBy: 'explicit-queue' | 'explicit-exchange' | 'task-exact' | 'task-glob' | 'default-queue';
}

/** Per-send routing options; any one set takes precedence over the routing files. */
export interface ExplicitRoute {
  queue?: string;
  exchange?: string;
  routingKey?: string;
}

interface GlobRule {
  pattern: TaskPattern;
  route: QueueRoute;
}

/** Bounds the resolution cache, in case an app sends under unboundedly many task names. */
const MAX_CACHED_ROUTES = 10_000;

/** Resolves task names (and per-send options) to exchanges, routing keys and queues. */
export class Router {
  readonly config: RoutingConfig;
  private readonly queues = new Map<string, QueueRoute>();
  /** The queues of priority bands above the lowest, by name. */
  private readonly bandQueues = new Map<string, QueueDeclaration>();
  private readonly exchanges = new Map<string, ExchangeDeclaration>();
  private readonly exact = new Map<string, QueueRoute>();
  /** Most specific first; ties in file order, then order within the file. */
  private readonly globs: GlobRule[];
  private readonly cache = new Map<string, ResolvedRoute>();

  constructor(config: RoutingConfig) {
    this.config = config;
    const ranked: (GlobRule & { order: number[] })[] = [];
    const sourceIndex = (source: string): number => {
      const i = config.sources.indexOf(source);
      return i === -1 ? config.sources.length : i;
    };
    config.queues.forEach((route, queueIndex) => {
      if (!this.queues.has(route.queue.name)) this.queues.set(route.queue.name, route);
      for (const band of route.bands?.slice(1) ?? []) this.bandQueues.set(band.queue.name, band.queue);
      const exchange = route.queue.exchange;
      if (exchange && !this.exchanges.has(exchange.name)) this.exchanges.set(exchange.name, exchange);
      route.tasks.forEach((task, taskIndex) => {
        const pattern = compileTaskPattern(task);
        if (!pattern.isGlob) {
          if (!this.exact.has(task)) this.exact.set(task, route);
        } else {
          const order = [-pattern.specificity, sourceIndex(route.source), queueIndex, taskIndex];
          ranked.push({ pattern, route, order });
        }
      });
    });
    ranked.sort((a, b) => compareOrder(a.order, b.order));
    this.globs = ranked.map(({ pattern, route }) => ({ pattern, route }));
  }

  /**
   * Where to publish task `taskName`. Order: an explicit `queue`; an explicit `exchange` and/or
   * `routingKey`; the task's exact name in a routing file; the most specific matching glob; the
   * default queue. Results without explicit options are cached and frozen: treat them as read-only.
   *
   * @throws TaskqError `ROUTE_INVALID` when the options contradict each other (e.g. a routing key
   * on the default exchange that is not the queue's name)
   */
  resolve(taskName: string, explicit: ExplicitRoute = {}): ResolvedRoute {
    const { queue, exchange, routingKey } = explicit;
    if (queue !== undefined) return this.resolveExplicitQueue(queue, exchange, routingKey);
    if (exchange !== undefined || routingKey !== undefined) {
      return this.resolveExplicitExchange(taskName, exchange ?? '', routingKey);
    }

    const cached = this.cache.get(taskName);
    if (cached) return cached;
    if (this.cache.size >= MAX_CACHED_ROUTES) this.cache.clear();
    const resolved = Object.freeze(this.resolveByTask(taskName));
    this.cache.set(taskName, resolved);
    return resolved;
  }

  /**
   * The declaration of queue `name`: the configured one (or the priority band it is), or for a
   * queue no routing file declares, a queue on the default exchange with the default `queueType`,
   * `durable` and `maxPriority` (no priority bands).
   */
  queue(name: string): QueueDeclaration {
    const known = this.queues.get(name)?.queue ?? this.bandQueues.get(name);
    if (known) return known;
    const { defaults } = this.config;
    if (defaults.queueType === 'classic') {
      return {
        name,
        durable: defaults.durable,
        autoDelete: false,
        maxPriority: defaults.maxPriority,
        exchange: undefined,
        bindingKeys: [],
      };
    }
    return {
      name,
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      queueType: 'quorum',
      deliveryLimit: defaults.deliveryLimit,
      ...(defaults.initialGroupSize !== undefined && { initialGroupSize: defaults.initialGroupSize }),
      exchange: undefined,
      bindingKeys: [],
    };
  }

  /**
   * The queues a worker consumes for queue `name`: its priority bands' queues, highest band first,
   * or just the queue itself.
   */
  consumeQueues(name: string): QueueDeclaration[] {
    const bands = this.queues.get(name)?.bands;
    return bands ? bands.map((band) => band.queue).reverse() : [this.queue(name)];
  }

  /**
   * How to declare the app's dead-letter queue `name` when no routing file declares it: durable,
   * without priorities, of the default `queueType` (a classic one would live on one node only), and
   * with no delivery limit and no dead-letter target of its own — reading dead letters returns them
   * to the queue, which must never make them disappear.
   */
  deadLetterQueue(name: string): QueueDeclaration {
    const configured = this.queues.get(name)?.queue;
    if (configured) return configured;
    const declaration: QueueDeclaration = {
      name,
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      exchange: undefined,
      bindingKeys: [],
    };
    if (this.config.defaults.queueType === 'quorum') declaration.queueType = 'quorum';
    return declaration;
  }

  /**
   * Configured queues bound to `exchange` (e.g. to declare the targets of a dead-letter exchange).
   * Empty for the default exchange `''`, which reaches queues by name, not by binding.
   */
  queuesBoundTo(exchange: string): QueueDeclaration[] {
    if (exchange === '') return [];
    return this.config.queues.map((route) => route.queue).filter((queue) => queue.exchange?.name === exchange);
  }

  private resolveByTask(taskName: string): ResolvedRoute {
    const task = quote(taskName);
    const exact = this.exact.get(taskName);
    if (exact) {
      const queue = quote(exact.queue.name);
      return fromRoute(exact, 'task-exact', `task ${task} is listed in queue ${queue} in ${exact.source}`);
    }
    const glob = this.globs.find((rule) => rule.pattern.matches(taskName));
    if (glob) {
      const pattern = quote(glob.pattern.pattern);
      return fromRoute(glob.route, 'task-glob', `task ${task} matches pattern ${pattern} in ${glob.route.source}`);
    }
    const name = this.config.defaults.defaultQueue;
    const configured = this.queues.get(name);
    const reason = `task ${task} matches no routing rule, so it goes to the default queue ${quote(name)}`;
    if (configured) return fromRoute(configured, 'default-queue', `${reason} declared in ${configured.source}`);
    return {
      exchange: '',
      routingKey: name,
      queue: this.queue(name),
      reason: `${reason} (declared in no routing file; sent through the default exchange)`,
      matchedBy: 'default-queue',
    };
  }

  private resolveExplicitQueue(name: string, exchange?: string, routingKey?: string): ResolvedRoute {
    if (name === '') {
      throw new TaskqError('ROUTE_INVALID', `The 'queue' option is empty; pass a queue name or leave it out.`);
    }
    const configured = this.queues.get(name);
    const queue = configured?.queue ?? this.queue(name);
    const ownExchange = queue.exchange?.name ?? '';
    const exchangeName = exchange ?? ownExchange;
    // Only the queue's own exchange knows its routing key; elsewhere the queue name is the best guess.
    const key = routingKey ?? (exchangeName === ownExchange && configured ? configured.routingKey : name);
    if (exchangeName === '' && key !== name) {
      throw new TaskqError(
        'ROUTE_INVALID',
        `Routing key ${quote(key)} cannot reach queue ${quote(name)} through the default exchange, which routes ` +
          `by queue name. Leave out 'routingKey', or bind the queue to an exchange in a routing file.`,
      );
    }
    const reason = configured
      ? `explicit queue ${quote(name)} as declared in ${configured.source}`
      : `explicit queue ${quote(name)}, declared in no routing file, so sent through the default exchange`;
    return {
      exchange: exchangeName,
      ...withDeclaration(this.exchanges.get(exchangeName)),
      routingKey: key,
      queue,
      ...withBands(configured, exchangeName, key),
      reason: exchangeName !== ownExchange ? `${reason}, via explicit exchange ${quote(exchangeName)}` : reason,
      matchedBy: 'explicit-queue',
    };
  }

  private resolveExplicitExchange(taskName: string, exchange: string, routingKey: string | undefined): ResolvedRoute {
    // As in Celery, a missing routing key comes from where the task would go otherwise.
    const key = routingKey ?? this.resolve(taskName).routingKey;
    const bound = this.config.queues.find((route) => reaches(route.queue, exchange, key));
    const target =
      exchange === ''
        ? `routing key ${quote(key)} on the default exchange`
        : `explicit exchange ${quote(exchange)} with routing key ${quote(key)}`;
    return {
      exchange,
      ...withDeclaration(this.exchanges.get(exchange)),
      routingKey: key,
      ...(bound && { queue: bound.queue }),
      reason: bound
        ? `${target} reaches queue ${quote(bound.queue.name)} declared in ${bound.source}`
        : `${target}; no queue in the routing files is bound to it with that key`,
      matchedBy: 'explicit-exchange',
    };
  }
}

/** Whether a message published to `exchange` with `routingKey` reaches `queue`. */
function reaches(queue: QueueDeclaration, exchange: string, routingKey: string): boolean {
  if (exchange === '') return queue.name === routingKey; // every queue is bound to '' by its name
  if (queue.exchange?.name !== exchange) return false;
  switch (queue.exchange.type) {
    case 'direct':
      return queue.bindingKeys.includes(routingKey);
    case 'topic':
      return queue.bindingKeys.some((b) => topicMatches(b, routingKey));
    case 'fanout':
    case 'headers': // taskq binds without header arguments, which matches every message
      return true;
  }
}

/** The route to a configured queue through its own exchange and routing key. */
function fromRoute(route: QueueRoute, matchedBy: ResolvedRoute['matchedBy'], reason: string): ResolvedRoute {
  const exchange = route.queue.exchange;
  return {
    exchange: exchange?.name ?? '',
    ...withDeclaration(exchange),
    routingKey: route.routingKey,
    queue: route.queue,
    ...withBands(route, exchange?.name ?? '', route.routingKey),
    reason,
    matchedBy,
  };
}

/** The band targets of a banded queue: the lowest through `exchange`/`routingKey`, the others by name. */
function withBands(route: QueueRoute | undefined, exchange: string, routingKey: string): { bands?: readonly BandTarget[] } {
  if (!route?.bands) return {};
  const bands = route.bands.map(({ min, max, queue }, i): BandTarget => {
    const target: BandTarget =
      i === 0 ? { min, max, exchange, routingKey, queue } : { min, max, exchange: '', routingKey: queue.name, queue };
    return Object.freeze(target);
  });
  return { bands: Object.freeze(bands) };
}

/**
 * Where to publish a message of `priority` on `route`: the route itself when it has no priority
 * bands (no allocation: this runs for every message), else the band holding `priority` — the
 * lowest band for a message without priority, the highest for one above the highest band.
 */
export function pickPriorityBand(route: ResolvedRoute, priority: number | undefined): PublishTarget {
  const bands = route.bands;
  if (bands === undefined) return route;
  if (priority !== undefined) {
    for (let i = bands.length - 1; i > 0; i--) {
      const band = bands[i]!;
      if (priority >= band.min) return band;
    }
  }
  return bands[0] ?? route;
}

function withDeclaration(exchange: ExchangeDeclaration | undefined): { exchangeDeclaration?: ExchangeDeclaration } {
  return exchange ? { exchangeDeclaration: exchange } : {};
}

function compareOrder(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
