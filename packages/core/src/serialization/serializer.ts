/**
 * One wire format: how a value becomes a message body and back. The `name` is what users pick
 * (`serializer: 'json'`); the `contentType` travels in the AMQP properties so the receiver knows
 * which serializer decodes the body.
 */
export interface Serializer {
  /** Short name used in options and accept lists, e.g. `json`. Must not contain `/`. */
  readonly name: string;
  /** Bare media type sent as the AMQP `content_type`, e.g. `application/json` (no parameters). */
  readonly contentType: string;
  /** AMQP `content_encoding`: `utf-8` for text formats, `binary` otherwise. */
  readonly contentEncoding: string;
  /**
   * Turns a value into a message body.
   * @throws {@link SerializationError} naming what could not be encoded, where, and why.
   */
  encode(value: unknown): Buffer;
  /**
   * Turns a message body back into a value. Never constructs types named by the payload.
   * @throws {@link SerializationError} when the payload is malformed or uses a refused feature;
   *   taskq's own serializers throw a `NestingTooDeepError` for payloads nested deeper than
   *   `MAX_DECODE_DEPTH`.
   */
  decode(payload: Buffer): unknown;
}
