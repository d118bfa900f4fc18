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
    const content = this.serializer.encode(meta); // an encoding error is the caller's to report
    try {
      this.channel.publish('', request.replyTo!, content, {
        correlationId: request.correlationId ?? request.id,
        contentType: this.serializer.contentType,
        contentEncoding: this.serializer.contentEncoding,
        deliveryMode: 1,
      });
    } catch (err) {
      // The consuming channel is closed (amqplib's IllegalOperationError): the task's message went
      // back to the queue with it and its next run replies; holding this reply would hold a
      // delivery that no longer exists.
      if ((err as Error).name !== 'IllegalOperationError') throw err;
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve(); // the channel belongs to the worker
  }
}
