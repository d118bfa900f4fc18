import type { Channel } from 'amqplib';
import {
  buildResultMeta, exceptionInfo, shortRepr, type Serializer, type TaskRequest, type TaskState,
} from '@taskq/core';

/**
 * Sends results back the way Celery's rpc backend does: to the default exchange, routed by the
 * request's `reply_to`, correlated by task id. Published on the consuming channel before the ack,
 * so a result is never lost to an ack that went first.
 */
export class ResultReporter {
  constructor(
    private readonly channel: Channel,
    private readonly serializer: Serializer,
  ) {}

  /** True when the caller asked for a result. */
  wantsResult(request: TaskRequest): boolean {
    return request.replyTo !== undefined && !request.ignoreResult;
  }

  success(request: TaskRequest, value: unknown): void {
    let content: Buffer;
    try {
      content = this.encode(request, 'SUCCESS', value, null);
    } catch (error) {
      // The value cannot travel (a function, a BigInt, a cycle…): the caller gets that as the failure.
      this.failure(request, error);
      return;
    }
    this.send(request, content);
  }

  failure(request: TaskRequest, error: unknown, state: TaskState = 'FAILURE'): void {
    const traceback = error instanceof Error ? (error.stack ?? null) : null;
    this.send(request, this.encode(request, state, exceptionInfo(error), traceback));
  }

  private encode(request: TaskRequest, status: TaskState, result: unknown, traceback: string | null): Buffer {
    const meta = buildResultMeta({
      taskId: request.id,
      status,
      result,
      traceback,
      ...(request.groupId ? { groupId: request.groupId } : {}),
      ...(request.parentId ? { parentId: request.parentId } : {}),
    });
    return this.serializer.encode(meta);
  }

  private send(request: TaskRequest, content: Buffer): void {
    this.channel.publish('', request.replyTo!, content, {
      correlationId: request.id,
      contentType: this.serializer.contentType,
      contentEncoding: this.serializer.contentEncoding,
      deliveryMode: 1,
    });
  }
}

/** A short, log-friendly rendering of a result value. */
export function describeValue(value: unknown): string {
  return value === undefined ? 'undefined' : shortRepr(value);
}
