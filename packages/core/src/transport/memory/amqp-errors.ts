/**
 * Errors shaped like amqplib's, so code written against RabbitMQ (which branches on `err.code`,
 * or on the reply text in the message) sees the same thing from the memory broker.
 */

/** AMQP reply codes the memory broker closes channels with, and their names as RabbitMQ spells them. */
const REPLY_NAMES: Record<number, string> = {
  403: 'ACCESS-REFUSED',
  404: 'NOT-FOUND',
  405: 'RESOURCE-LOCKED',
  406: 'PRECONDITION-FAILED',
  503: 'COMMAND-INVALID',
  530: 'NOT-ALLOWED',
};

/** A channel closed by the broker: amqplib's error, with `code` the AMQP reply code. */
export interface AmqpChannelError extends Error {
  code: number;
  classId: number;
  methodId: number;
}

/**
 * The error a failed broker method gives, as amqplib words it: `Operation failed: QueueDeclare;
 * 404 (NOT-FOUND) with message "NOT_FOUND - no queue 'q' in vhost '/'"`. `replyText` starts with
 * RabbitMQ's constant (`NOT_FOUND - …`), which taskq's callers match on.
 */
export function operationFailed(method: string, code: number, replyText: string): AmqpChannelError {
  const error = new Error(`Operation failed: ${method}; ${describeReply(code, replyText)}`) as AmqpChannelError;
  return Object.assign(error, { code, classId: 0, methodId: 0 });
}

/** The error of a channel's 'error' event when the broker closed it. */
export function channelClosedByServer(code: number, replyText: string): AmqpChannelError {
  const error = new Error(`Channel closed by server: ${describeReply(code, replyText)}`) as AmqpChannelError;
  return Object.assign(error, { code, classId: 0, methodId: 0 });
}

/** amqplib's IllegalOperationError: an operation on a channel or connection that is closed. */
export class IllegalOperationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalOperationError';
  }
}

function describeReply(code: number, replyText: string): string {
  return `${code} (${REPLY_NAMES[code] ?? 'UNKNOWN'}) with message "${replyText}"`;
}

/** RabbitMQ's reply text for a missing queue. */
export function noQueue(queue: string): string {
  return `NOT_FOUND - no queue '${queue}' in vhost '/'`;
}

/** RabbitMQ's reply text for a missing exchange. */
export function noExchange(exchange: string): string {
  return `NOT_FOUND - no exchange '${exchange}' in vhost '/'`;
}
