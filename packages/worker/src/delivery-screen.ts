import { TaskqError, type DeadLetterReason } from '@taskq/core';
import type { IncomingProperties, MessageSigner, SignatureProblem } from '@taskq/core/internal';

/** Why a delivery is refused before it is decoded. */
export interface Refusal {
  reason: Extract<DeadLetterReason, 'too-large' | 'bad-signature'>;
  error: TaskqError;
}

const SIGNATURE_PROBLEMS: Readonly<Record<SignatureProblem, string>> = {
  missing: 'The message has no x-taskq-signature header, and this worker requires signed messages (signing.required).',
  malformed: "The message's x-taskq-signature header is not of the form v1=<64 hex digits>.",
  mismatch: 'The message signature does not match: it was signed with another key, or its body or headers were changed in transit.',
};

/**
 * The checks a worker makes before decoding a single byte of a delivery: its size against
 * `maxMessageBytes`, then (when the app signs) its signature. Pure. Undefined = go on.
 */
export function screenDelivery(
  content: Buffer,
  properties: IncomingProperties,
  settings: { maxMessageBytes: number; signer?: MessageSigner | undefined },
): Refusal | undefined {
  if (content.length > settings.maxMessageBytes) {
    return {
      reason: 'too-large',
      error: new TaskqError(
        'MESSAGE_TOO_LARGE',
        `The message body has ${content.length} bytes, over this worker's limit of ${settings.maxMessageBytes} bytes (maxMessageBytes).`,
      ),
    };
  }
  const { signer } = settings;
  if (!signer) return undefined;
  const problem = signer.check(properties.headers ?? {}, properties, content);
  if (problem === undefined || (problem === 'missing' && !signer.required)) return undefined;
  return { reason: 'bad-signature', error: new TaskqError('BAD_SIGNATURE', SIGNATURE_PROBLEMS[problem]) };
}

/**
 * The headers as own properties only. amqplib decodes a header table by assignment, so a header
 * named `__proto__` becomes the object's prototype and its fields would read as headers; such a
 * table is copied without it. Ordinary headers are returned as they are (one prototype check).
 */
export function ownHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers || Object.getPrototypeOf(headers) === Object.prototype) return headers;
  const own: Record<string, unknown> = {};
  for (const key of Object.keys(headers)) own[key] = headers[key];
  return own;
}
