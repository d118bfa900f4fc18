import type { Channel } from 'amqplib';
import type { ResultMeta, TaskRequest } from '../protocol';
import type { Serializer } from '../serialization';
import type { ResultStore } from './result-backend';

/**
 * Celery's `rpc://` backend, worker side: the result goes to the default exchange, routed by the
 * request's `reply_to`, correlated by task id. It is published on the consuming channel, before
 * the ack, so a result can never be lost to an ack that went first.
 */
export class RpcResultStore implements ResultStore {
  constructor(
    private readonly channel: Channel,
    private readonly serializer: Serializer,
  ) {}

  wantsResult(request: TaskRequest): boolean {
    return request.replyTo !== undefined && !request.ignoreResult;
  }

  store(request: TaskRequest, meta: ResultMeta): Promise<void> {
    this.channel.publish('', request.replyTo!, this.serializer.encode(meta), {
      correlationId: request.correlationId ?? request.id,
      contentType: this.serializer.contentType,
      contentEncoding: this.serializer.contentEncoding,
      deliveryMode: 1,
    });
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve(); // the channel belongs to the worker
  }
}
