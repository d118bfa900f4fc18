import type { MessageProperties, Options } from 'amqplib';

/**
 * What a message's properties look like after a trip through the wire, built from amqplib's
 * publish options the way amqplib encodes them (`persistent` → delivery mode 2, `expiration` as
 * a string, headers whose `undefined` values are left out). Each delivery gets its own copy, so a
 * consumer that changes a message cannot change what another consumer, or a redelivery, sees.
 */
export function toMessageProperties(options: Options.Publish = {}): MessageProperties {
  return {
    contentType: options.contentType,
    contentEncoding: options.contentEncoding,
    headers: options.headers === undefined ? undefined : copyTable(options.headers),
    deliveryMode: deliveryMode(options),
    priority: options.priority,
    correlationId: options.correlationId,
    replyTo: options.replyTo,
    expiration: options.expiration === undefined ? undefined : String(options.expiration),
    messageId: options.messageId,
    timestamp: options.timestamp,
    type: options.type,
    userId: options.userId,
    appId: options.appId,
    clusterId: undefined,
  };
}

/** A copy of stored properties for one delivery. */
export function copyProperties(properties: MessageProperties): MessageProperties {
  return { ...properties, headers: properties.headers === undefined ? undefined : copyTable(properties.headers) };
}

function deliveryMode(options: Options.Publish): number | undefined {
  if (options.persistent !== undefined) return options.persistent ? 2 : 1;
  const mode = options.deliveryMode as unknown;
  if (mode === true) return 2;
  if (mode === false) return 1;
  return typeof mode === 'number' ? mode : undefined;
}

/** An AMQP field table, copied deeply; `undefined` entries are dropped as amqplib's encoder does. */
function copyTable(table: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const value = table[key];
    // Plain assignment, as amqplib's decoder does (a header named __proto__ becomes the prototype there too).
    if (value !== undefined) copy[key] = copyValue(value);
  }
  return copy;
}

function copyValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(copyValue);
  if (value instanceof Date) return new Date(value.getTime());
  return copyTable(value as Record<string, unknown>);
}
