import { topicMatches } from '../../routing/topic-match';

/**
 * How an exchange decides whether one of its bindings takes a message, as RabbitMQ does it.
 * Pure functions, so the routing rules are testable without a broker.
 */

/** The exchange types the memory broker routes (RabbitMQ's built-in ones). */
export type MemoryExchangeType = 'direct' | 'topic' | 'fanout' | 'headers';

/** Whether a binding with `bindingKey` (and `bindingArgs`, for headers exchanges) takes the message. */
export function bindingMatches(
  type: MemoryExchangeType,
  bindingKey: string,
  bindingArgs: Record<string, unknown> | undefined,
  routingKey: string,
  headers: Record<string, unknown> | undefined,
): boolean {
  switch (type) {
    case 'fanout':
      return true;
    case 'direct':
      return bindingKey === routingKey;
    case 'topic':
      return topicMatches(bindingKey, routingKey);
    case 'headers':
      return headersMatch(bindingArgs ?? {}, headers ?? {});
  }
}

/** Headers exchange: `x-match` `all` (default) or `any` over the binding's non-`x-` arguments. */
function headersMatch(args: Record<string, unknown>, headers: Record<string, unknown>): boolean {
  const mode = args['x-match'] === 'any' || args['x-match'] === 'any-with-x' ? 'any' : 'all';
  const keys = Object.keys(args).filter((key) => !key.startsWith('x-'));
  if (keys.length === 0) return mode === 'all';
  const hits = keys.filter((key) => key in headers && (args[key] === undefined || args[key] === headers[key]));
  return mode === 'all' ? hits.length === keys.length : hits.length > 0;
}
