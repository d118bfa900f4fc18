/**
 * Validation of app-wide routing defaults, from a `_defaults` file, the `defaults:` section of a
 * single config file, or an options object in code. Pure: no I/O.
 */
import { ConfigError, type ConfigProblem } from '../errors';
import { EXCHANGE_TYPES, DEFAULT_ROUTING_DEFAULTS, QUEUE_TYPES, type RoutingDefaults } from './route-config';
import { FieldReader, has, isMapping, joinKey, type RawMapping } from './field-reader';

/** Keys allowed in a defaults mapping. */
export const DEFAULTS_KEYS: readonly (keyof RoutingDefaults)[] = [
  'defaultQueue',
  'exchangeType',
  'maxPriority',
  'durable',
  'queueType',
  'deliveryLimit',
  'initialGroupSize',
  'serializer',
  'priority',
  'ignoreResult',
];

/** The phrase used whenever a `maxPriority` is wrong, in defaults and queue files alike. */
export const MAX_PRIORITY_EXPECTED = 'an integer from 1 to 255 (or 0/null for no priority)';

/** The largest `deliveryLimit` / `initialGroupSize` taskq accepts (a signed 32-bit integer). */
const MAX_QUORUM_SETTING = 2_147_483_647;

/** What a wrong `deliveryLimit` / `initialGroupSize` should have been, in defaults and queue files alike. */
export const QUORUM_SETTING_EXPECTED = {
  deliveryLimit: 'a whole number of deliveries, at least 1',
  initialGroupSize: 'a whole number of nodes, at least 1',
} as const;

/**
 * Validates routing defaults given in code (or anywhere not read from a routing file) and merges
 * them over `base`. Keys set to `undefined` count as not set, except `maxPriority`, where (as in
 * {@link RoutingDefaults}) `undefined` means "no priority", like `0` and `null`; so a valid
 * `RoutingDefaults` object comes back unchanged.
 *
 * @param raw - the defaults object; `undefined`/`null` yields `base` unchanged
 * @param file - the label problems name instead of a file, e.g. `createApp options`
 * @param base - values for keys `raw` does not set
 * @throws ConfigError listing every problem
 */
export function validateRoutingDefaults(
  raw: unknown,
  file = 'createApp options',
  base: Readonly<RoutingDefaults> = DEFAULT_ROUTING_DEFAULTS,
): RoutingDefaults {
  const problems: ConfigProblem[] = [];
  const reader = new FieldReader(file, problems);
  const defaults = readRoutingDefaults(reader, raw ?? {}, '', base);
  if (isMapping(raw) && Object.hasOwn(raw, 'maxPriority') && raw.maxPriority === undefined) {
    defaults.maxPriority = undefined;
  }
  if (problems.length) throw new ConfigError(problems);
  return defaults;
}

/**
 * Reads a defaults mapping at `prefix`, recording problems on `reader`; wrong or missing keys
 * keep their `base` value so validation of the rest can go on.
 */
export function readRoutingDefaults(reader: FieldReader, raw: unknown, prefix: string, base: Readonly<RoutingDefaults>): RoutingDefaults {
  const mapping = reader.mapping(raw, prefix, 'a mapping of default settings');
  if (!mapping) return { ...base };
  reader.allowKeys(mapping, prefix, DEFAULTS_KEYS);
  const maxPriority = readMaxPriority(reader, mapping, prefix);
  const defaults: RoutingDefaults = {
    defaultQueue: reader.queueName(mapping, prefix, 'defaultQueue') ?? base.defaultQueue,
    exchangeType: reader.oneOf(mapping, prefix, 'exchangeType', EXCHANGE_TYPES) ?? base.exchangeType,
    maxPriority: maxPriority ? maxPriority.value : base.maxPriority,
    durable: reader.boolean(mapping, prefix, 'durable') ?? base.durable,
    queueType: reader.oneOf(mapping, prefix, 'queueType', QUEUE_TYPES) ?? base.queueType,
    deliveryLimit: readQuorumSetting(reader, mapping, prefix, 'deliveryLimit') ?? base.deliveryLimit,
    initialGroupSize: readQuorumSetting(reader, mapping, prefix, 'initialGroupSize') ?? base.initialGroupSize,
    serializer: reader.string(mapping, prefix, 'serializer', { nonEmpty: true }) ?? base.serializer,
    priority: reader.integer(mapping, prefix, 'priority', 0, 255, 'an integer from 0 to 255') ?? base.priority,
    ignoreResult: reader.boolean(mapping, prefix, 'ignoreResult') ?? base.ignoreResult,
  };
  // Only a durable queue can be replicated: RabbitMQ refuses a transient quorum queue.
  if (defaults.queueType === 'quorum' && !defaults.durable && (has(mapping, 'durable') || has(mapping, 'queueType'))) {
    reader.report(
      joinKey(prefix, has(mapping, 'durable') ? 'durable' : 'queueType'),
      `expected durable: true with queueType: quorum (quorum queues are always durable), found durable: false; ` +
        `remove 'durable: false', or set queueType: classic`,
    );
  }
  return defaults;
}

/** Reads `deliveryLimit` or `initialGroupSize`: a whole number ≥ 1. */
export function readQuorumSetting(
  reader: FieldReader,
  raw: RawMapping,
  prefix: string,
  name: keyof typeof QUORUM_SETTING_EXPECTED,
): number | undefined {
  return reader.integer(raw, prefix, name, 1, MAX_QUORUM_SETTING, QUORUM_SETTING_EXPECTED[name]);
}

/**
 * Reads `maxPriority`: 1..255 is kept, `0`/`null` mean "no priority" (`value: undefined`).
 * Returns `undefined` when the key is absent or wrong, so the caller uses its default.
 */
export function readMaxPriority(reader: FieldReader, raw: RawMapping, prefix: string): { value: number | undefined } | undefined {
  if (!has(raw, 'maxPriority')) return undefined;
  if (raw.maxPriority === null || raw.maxPriority === 0) return { value: undefined };
  const value = reader.integer(raw, prefix, 'maxPriority', 1, 255, MAX_PRIORITY_EXPECTED);
  return value === undefined ? undefined : { value };
}
