/**
 * Turns one queue's raw settings (a queue file, or one entry of `queues:` in a single config file)
 * into a {@link QueueRoute}: applies the defaults, normalises shorthands (a single task or binding
 * key as a string) and checks each field and how the fields fit together. Pure: no I/O.
 */
import {
  EXCHANGE_TYPES,
  QUEUE_TYPES,
  type ExchangeType,
  type PriorityBand,
  type QueueDeclaration,
  type QueueRoute,
  type QueueType,
  type RoutingDefaults,
} from './route-config';
import { type FieldReader, has, isReservedQueueName, joinKey, quote, reservedQueueNameMessage, type RawMapping } from './field-reader';
import { readMaxPriority, readQuorumSetting } from './validate-routing-defaults';
import { bandQueueName, buildBands, evenBands, readPriorityBands } from './priority-bands';
import { hasTopicWildcard, topicMatches } from './topic-match';

/** Keys allowed in a queue's settings. */
export const QUEUE_KEYS = [
  'queue',
  'exchange',
  'exchangeType',
  'bindingKeys',
  'routingKey',
  'maxPriority',
  'durable',
  'autoDelete',
  'messageTtl',
  'maxLength',
  'deadLetter',
  'queueType',
  'deliveryLimit',
  'initialGroupSize',
  'priorityBands',
  'tasks',
] as const;

/** Keys that only quorum queues accept. */
const QUORUM_ONLY_KEYS = ['deliveryLimit', 'initialGroupSize', 'priorityBands'] as const;

/** RabbitMQ's predeclared exchanges: always durable, with a fixed type. */
const BUILT_IN_EXCHANGES: Readonly<Record<string, ExchangeType>> = {
  'amq.direct': 'direct',
  'amq.topic': 'topic',
  'amq.fanout': 'fanout',
  'amq.headers': 'headers',
  'amq.match': 'headers',
};

/** RabbitMQ's limit for `x-message-ttl` (2^32 - 1 ms, about 49 days). */
const MAX_TTL_MS = 4_294_967_295;

/** Where one queue's settings come from. */
export interface QueueSettingsSource {
  reader: FieldReader;
  /** Key path of the settings inside the file: `''` for a queue file, `queues.<name>` otherwise. */
  prefix: string;
  /** The name used when `queue` is not set: the file's base name, or the `queues:` map key. */
  defaultName: string;
  /** In the single-file form a `queue` field must repeat the map key. */
  nameMustMatch: boolean;
  defaults: RoutingDefaults;
}

/** A queue route plus which keys to blame when a check across files finds a conflict. */
export interface QueueDraft {
  route: QueueRoute;
  /** Key that set the queue name (`queue`, or the prefix when the name came from elsewhere). */
  nameKey: string;
  /** Key that set the exchange type; `undefined` when the type was invalid (skip conflict checks). */
  exchangeTypeKey: string | undefined;
  /** Key each entry of `route.tasks` came from, e.g. `tasks[2]`. */
  taskKeys: string[];
}

/** Reads one queue's settings, recording problems on `source.reader`. */
export function readQueueRoute(source: QueueSettingsSource, raw: RawMapping): QueueDraft {
  const { reader, prefix, defaults } = source;
  reader.allowKeys(raw, prefix, QUEUE_KEYS);

  const { name, nameKey } = readName(source, raw);
  const exchange = readExchange(reader, raw, prefix, defaults);
  const bindings = readBindingKeys(reader, raw, prefix, exchange, name);
  const routingKey = readRoutingKey(reader, raw, prefix, {
    name,
    exchange: exchange.name,
    type: exchange.type,
    bindingKeys: bindings.keys,
    checkBindings: exchange.valid && bindings.valid,
  });

  const maxPriority = readMaxPriority(reader, raw, prefix);
  const ttlExpected = `a positive integer of milliseconds (at most ${MAX_TTL_MS})`;
  const messageTtl = reader.integer(raw, prefix, 'messageTtl', 1, MAX_TTL_MS, ttlExpected);
  const maxLength = reader.integer(raw, prefix, 'maxLength', 1, Number.MAX_SAFE_INTEGER, 'a positive integer');
  const deadLetter = readDeadLetter(reader, raw, prefix, name);
  const type = readQueueType(reader, raw, prefix, defaults);
  const durable = reader.boolean(raw, prefix, 'durable') ?? defaults.durable;
  const autoDelete = reader.boolean(raw, prefix, 'autoDelete') ?? false;
  const taskNames = { item: 'a task name', list: 'a task name or a list of task names' };
  const tasks = reader.stringList(raw, prefix, 'tasks', taskNames) ?? [];

  const queue: QueueDeclaration = {
    name,
    durable,
    autoDelete,
    // The app-wide maxPriority is for classic queues: a quorum queue gets bands only when it asks for them.
    maxPriority: type.value === 'quorum' ? maxPriority?.value : maxPriority ? maxPriority.value : defaults.maxPriority,
    ...(messageTtl !== undefined && { messageTtl }),
    ...(maxLength !== undefined && { maxLength }),
    ...(deadLetter && { deadLetter }),
    exchange: exchange.name === '' ? undefined : { name: exchange.name, type: exchange.type, durable: exchange.durable },
    bindingKeys: bindings.keys,
  };
  let bands: PriorityBand[] | undefined;
  if (type.value === 'quorum') {
    checkQuorumFits(reader, raw, prefix, { durable, autoDelete, typeKey: type.key, defaults });
    queue.queueType = 'quorum';
    queue.deliveryLimit = readQuorumSetting(reader, raw, prefix, 'deliveryLimit') ?? defaults.deliveryLimit;
    const initialGroupSize = readQuorumSetting(reader, raw, prefix, 'initialGroupSize') ?? defaults.initialGroupSize;
    if (initialGroupSize !== undefined) queue.initialGroupSize = initialGroupSize;
    bands = readBands(reader, raw, prefix, queue);
  } else if (type.value === 'classic') {
    if (has(raw, 'queueType')) queue.queueType = 'classic';
    for (const quorumKey of QUORUM_ONLY_KEYS.filter((k) => has(raw, k))) {
      reader.report(
        joinKey(prefix, quorumKey),
        `only applies to quorum queues, but queue ${quote(name)} is classic${type.key ? '' : ' (the default queueType)'}; ` +
          `set queueType: quorum on this queue, or remove '${quorumKey}'`,
      );
    }
  }

  return {
    route: {
      queue,
      ...(bands && { bands }),
      routingKey,
      tasks: tasks.map((t) => t.value),
      source: reader.file,
    },
    nameKey,
    exchangeTypeKey: exchange.typeKey,
    taskKeys: tasks.map((t) => t.key),
  };
}

/** The queue's type (`value` undefined when `queueType` was wrong) and the key that set it, if any. */
function readQueueType(
  reader: FieldReader,
  raw: RawMapping,
  prefix: string,
  defaults: RoutingDefaults,
): { value: QueueType | undefined; key: string | undefined } {
  if (!has(raw, 'queueType')) return { value: defaults.queueType, key: undefined };
  return { value: reader.oneOf(raw, prefix, 'queueType', QUEUE_TYPES), key: joinKey(prefix, 'queueType') };
}

/** RabbitMQ refuses quorum queues that are transient or auto-delete: say so here, with the key to change. */
function checkQuorumFits(
  reader: FieldReader,
  raw: RawMapping,
  prefix: string,
  q: { durable: boolean; autoDelete: boolean; typeKey: string | undefined; defaults: RoutingDefaults },
): void {
  const why = `quorum queues are always durable (replicated to disk on several nodes)`;
  if (!q.durable && has(raw, 'durable')) {
    reader.report(
      joinKey(prefix, 'durable'),
      `expected true for a quorum queue (${why}), found false; remove it, or set queueType: classic`,
    );
  } else if (!q.durable && q.typeKey) {
    // durable: false came from the defaults, which another check already reports when they are quorum too.
    reader.report(q.typeKey, `expected a durable queue (${why}), but the defaults set durable: false; set durable: true on this queue`);
  }
  if (q.autoDelete) {
    reader.report(
      joinKey(prefix, 'autoDelete'),
      `expected false for a quorum queue (RabbitMQ cannot auto-delete quorum queues), found true; remove it, or set queueType: classic`,
    );
  }
}

/** A quorum queue's priority bands: none without a `maxPriority` of its own, else `priorityBands` or three even bands. */
function readBands(reader: FieldReader, raw: RawMapping, prefix: string, queue: QueueDeclaration): PriorityBand[] | undefined {
  const top = queue.maxPriority;
  if (top === undefined) {
    if (has(raw, 'priorityBands')) {
      reader.report(
        joinKey(prefix, 'priorityBands'),
        `needs 'maxPriority' on this queue (the highest priority of the highest band); set maxPriority, or remove 'priorityBands'`,
      );
    }
    return undefined;
  }
  const ranges = has(raw, 'priorityBands') ? readPriorityBands(reader, raw, prefix, top) : evenBands(top);
  if (!ranges) return undefined;
  const [topMin, topMax] = ranges.at(-1) ?? [0, 0];
  const longest = bandQueueName(queue.name, topMin, topMax);
  const bytes = Buffer.byteLength(longest, 'utf8');
  if (bytes > 255) {
    reader.report(
      joinKey(prefix, 'maxPriority'),
      `band queue ${quote(longest)} would be ${bytes} bytes, over the AMQP limit of 255; shorten the queue name`,
    );
    return undefined;
  }
  return buildBands(queue, ranges);
}

interface ExchangeSettings {
  /** `''` for the default exchange (also when `exchange` was invalid). */
  name: string;
  /** `false` when `exchange` itself was wrong: "not allowed on the default exchange" would mislead. */
  valid: boolean;
  type: ExchangeType;
  durable: boolean;
  /** See {@link QueueDraft.exchangeTypeKey}. */
  typeKey: string | undefined;
}

function readExchange(reader: FieldReader, raw: RawMapping, prefix: string, defaults: RoutingDefaults): ExchangeSettings {
  const key = (name: string): string => joinKey(prefix, name);
  const valid = !has(raw, 'exchange') || reader.amqpName(raw, prefix, 'exchange') !== undefined;
  const name = valid && typeof raw.exchange === 'string' ? raw.exchange : '';
  const builtInType = BUILT_IN_EXCHANGES[name];

  const problemsBefore = reader.problems.length;
  const givenType = reader.oneOf(raw, prefix, 'exchangeType', EXCHANGE_TYPES);
  if (has(raw, 'exchangeType') && name === '' && valid) {
    reader.report(
      key('exchangeType'),
      `must not be set when 'exchange' is '' (the default exchange, which routes by queue name); ` +
        `set 'exchange' to the exchange to declare, or remove 'exchangeType'`,
    );
  }
  if (builtInType && givenType && givenType !== builtInType) {
    reader.report(
      key('exchangeType'),
      `expected '${builtInType}' (the type of RabbitMQ's built-in exchange '${name}'), found '${givenType}'`,
    );
  } else if (!builtInType && name.startsWith('amq.')) {
    reader.report(key('exchange'), `exchange name ${quote(name)} starts with 'amq.', which RabbitMQ reserves; choose another name`);
  }
  return {
    name,
    valid,
    type: builtInType ?? givenType ?? defaults.exchangeType,
    // Built-in exchanges exist already, durable; redeclaring them otherwise fails.
    durable: builtInType ? true : defaults.durable,
    typeKey: reader.problems.length > problemsBefore ? undefined : key(givenType ? 'exchangeType' : 'exchange'),
  };
}

function readBindingKeys(
  reader: FieldReader,
  raw: RawMapping,
  prefix: string,
  exchange: ExchangeSettings,
  queueName: string,
): { keys: string[]; valid: boolean } {
  const key = joinKey(prefix, 'bindingKeys');
  const problemsBefore = reader.problems.length;
  const what = { item: 'a binding key', list: 'a binding key or a list of binding keys' };
  const given = reader.stringList(raw, prefix, 'bindingKeys', what, { amqp: true });
  if (has(raw, 'bindingKeys') && exchange.name === '' && exchange.valid) {
    reader.report(
      key,
      `must not be set when 'exchange' is '' (the default exchange reaches each queue by its name and ` +
        `cannot be bound); set 'exchange', or remove 'bindingKeys'`,
    );
  } else if (Array.isArray(raw.bindingKeys) && raw.bindingKeys.length === 0) {
    reader.report(key, `expected at least one binding key, found an empty list`);
  }
  const keys = exchange.name === '' ? [] : given?.length ? given.map((b) => b.value) : [queueName];
  return { keys, valid: reader.problems.length === problemsBefore };
}

function readName(source: QueueSettingsSource, raw: RawMapping): { name: string; nameKey: string } {
  const { reader, prefix, defaultName } = source;
  const given = reader.queueName(raw, prefix, 'queue');
  if (given !== undefined && source.nameMustMatch && given !== defaultName) {
    reader.report(
      joinKey(prefix, 'queue'),
      `expected the queue's key ${quote(defaultName)}, found ${quote(given)}; rename the key or remove 'queue'`,
    );
  } else if (given !== undefined) {
    return { name: given, nameKey: joinKey(prefix, 'queue') };
  } else if (!has(raw, 'queue') && defaultName === '') {
    reader.report(prefix, `expected a non-empty queue name, found an empty string`);
  } else if (!has(raw, 'queue') && isReservedQueueName(defaultName)) {
    reader.report(prefix, `${reservedQueueNameMessage(defaultName)} (or set 'queue')`);
  }
  return { name: defaultName, nameKey: prefix };
}

interface RoutingKeyContext {
  name: string;
  exchange: string;
  type: ExchangeType;
  bindingKeys: string[];
  /** `false` when exchange or binding keys were invalid: comparing against them would mislead. */
  checkBindings: boolean;
}

function readRoutingKey(reader: FieldReader, raw: RawMapping, prefix: string, ctx: RoutingKeyContext): string {
  const key = joinKey(prefix, 'routingKey');
  const given = reader.amqpName(raw, prefix, 'routingKey');
  const bindings = ctx.bindingKeys.map((b) => quote(b)).join(', ');
  const unreachable = `messages sent with it would not reach queue ${quote(ctx.name)}`;

  if (ctx.exchange === '') {
    // The default exchange delivers to the queue whose name equals the routing key.
    if (given !== undefined && given !== ctx.name && ctx.checkBindings) {
      reader.report(
        key,
        `expected the queue name ${quote(ctx.name)} (the default exchange routes by queue name), ` +
          `found ${quote(given)}; set 'exchange' to publish with another routing key`,
      );
    }
    return ctx.name;
  }

  if (given === undefined) {
    // A wildcard binding key is no key to publish with, so topic queues default to a literal one.
    const literal = ctx.type === 'topic' ? ctx.bindingKeys.find((b) => !hasTopicWildcard(b)) : ctx.bindingKeys[0];
    if (literal === undefined && ctx.checkBindings && !has(raw, 'routingKey')) {
      reader.report(
        key,
        `missing: every binding key of topic exchange ${quote(ctx.exchange)} has wildcards (${bindings}), ` +
          `so there is no key to publish tasks for this queue with; set 'routingKey' to a key matching one of them`,
      );
    }
    return literal ?? ctx.bindingKeys[0] ?? ctx.name;
  }

  if (!ctx.checkBindings) return given;
  if (ctx.type === 'topic' && !ctx.bindingKeys.some((b) => topicMatches(b, given))) {
    reader.report(key, `expected a routing key matching one of the binding keys (${bindings}), found ${quote(given)}; ${unreachable}`);
  } else if (ctx.type === 'direct' && !ctx.bindingKeys.includes(given)) {
    reader.report(key, `expected one of the binding keys (${bindings}), found ${quote(given)}; ${unreachable}`);
  }
  return given;
}

function readDeadLetter(
  reader: FieldReader,
  raw: RawMapping,
  prefix: string,
  queueName: string,
): { exchange: string; routingKey?: string } | undefined {
  if (!has(raw, 'deadLetter')) return undefined;
  const dlPrefix = joinKey(prefix, 'deadLetter');
  const dl = reader.mapping(raw.deadLetter, dlPrefix, `a mapping with 'exchange' and optionally 'routingKey'`);
  if (!dl) return undefined;
  reader.allowKeys(dl, dlPrefix, ['exchange', 'routingKey']);
  if (!has(dl, 'exchange')) {
    reader.report(joinKey(dlPrefix, 'exchange'), `missing: expected the exchange to dead-letter to ('' for the default exchange)`);
  }
  const exchange = reader.amqpName(dl, dlPrefix, 'exchange');
  const routingKey = reader.amqpName(dl, dlPrefix, 'routingKey');
  if (exchange === '' && !has(dl, 'routingKey')) {
    reader.report(
      joinKey(dlPrefix, 'routingKey'),
      `missing: with the default exchange '' it must name the queue to dead-letter to; without it, ` +
        `messages would be dead-lettered back into queue ${quote(queueName)}`,
    );
  } else if (exchange === '' && routingKey === queueName) {
    reader.report(joinKey(dlPrefix, 'routingKey'), `expected another queue than ${quote(queueName)} itself, found ${quote(routingKey)}`);
  }
  if (exchange === undefined) return undefined;
  return routingKey === undefined ? { exchange } : { exchange, routingKey };
}
