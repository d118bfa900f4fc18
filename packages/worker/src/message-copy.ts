import type { TaskRequest } from '@taskq/core';
import {
  buildTaskMessage,
  DELIVERY_COUNT_HEADERS,
  SIGNATURE_HEADER,
  type EncodedMessage,
  type IncomingProperties,
  type MessageSigner,
  type SerializerRegistry,
} from '@taskq/core/internal';

/** A delivered message: its body and AMQP properties. */
export interface DeliveredCopySource {
  content: Buffer;
  properties: IncomingProperties;
}

/** The same message, ready to publish again: same body, properties and headers, persistent. */
export function encodedCopy(message: DeliveredCopySource): EncodedMessage {
  const { properties } = message;
  const encoded: EncodedMessage = {
    content: message.content,
    contentType: properties.contentType ?? 'application/json',
    contentEncoding: properties.contentEncoding ?? 'utf-8',
    correlationId: properties.correlationId ?? '',
    headers: { ...properties.headers },
    persistent: true,
  };
  if (properties.replyTo) encoded.replyTo = properties.replyTo;
  if (typeof properties.priority === 'number') encoded.priority = properties.priority;
  return encoded;
}

/** What a retry copy is encoded (protocol v1 messages are rebuilt) and signed with. */
export interface RetryCopyRules {
  serializers: SerializerRegistry;
  signer?: MessageSigner | undefined;
}

/**
 * The message for a task's next attempt, as Celery's `Task.retry` builds it: the same task id,
 * root, parent, reply_to, priority and body, with `retries` incremented and a new `eta`. Signed
 * again when the app signs (retries and eta are signed headers). A Celery protocol v1 message
 * keeps retries in its body, so its retry is sent as a v2 message built from the request.
 */
export function retryCopy(
  message: DeliveredCopySource,
  request: TaskRequest,
  next: { retries: number; eta: Date },
  options: RetryCopyRules,
): EncodedMessage {
  let copy: EncodedMessage;
  if (typeof message.properties.headers?.['task'] === 'string') {
    copy = encodedCopy(message);
    copy.headers['retries'] = next.retries;
    copy.headers['eta'] = next.eta.toISOString();
  } else {
    const serializer = options.serializers.byContentType(request.contentType) ?? options.serializers.get('json');
    copy = buildTaskMessage(
      {
        id: request.id,
        name: request.name,
        args: request.args,
        kwargs: request.kwargs,
        embed: request.embed,
        eta: next.eta,
        retries: next.retries,
        ignoreResult: request.ignoreResult,
        timeLimit: request.timeLimit,
        ...(request.expires ? { expires: request.expires } : {}),
        ...(request.rootId ? { rootId: request.rootId } : {}),
        ...(request.parentId ? { parentId: request.parentId } : {}),
        ...(request.groupId ? { groupId: request.groupId } : {}),
        ...(request.replyTo ? { replyTo: request.replyTo } : {}),
        ...(request.priority !== undefined ? { priority: request.priority } : {}),
      },
      serializer,
    );
    if (request.correlationId) copy.correlationId = request.correlationId;
  }
  // A retry is a fresh attempt: crashes and internal errors of this one are not held against it.
  delete copy.headers[DELIVERY_COUNT_HEADERS.redeliveries];
  delete copy.headers[DELIVERY_COUNT_HEADERS.internalErrors];
  delete copy.headers[SIGNATURE_HEADER];
  if (options.signer) copy.headers[SIGNATURE_HEADER] = options.signer.sign(copy.headers, copy, copy.content);
  return copy;
}
