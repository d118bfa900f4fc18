import { SerializationError } from '../errors';

/**
 * How deeply a message body may nest containers (arrays, objects/maps), counted from the outside:
 * `[]` is 1 level, `[[1]]` 2, and an empty container counts like a full one. Every decoder
 * refuses deeper payloads before handing them to a parser that recurses, and every encoder refuses
 * to write them, so taskq never sends what its own workers would refuse.
 *
 * Why 64: a Celery body is `[args, kwargs, embed]`, so task arguments start at level 2, and
 * real task data (records, lists of records, a canvas of signatures) stays well under 20 levels.
 * The limit only has to stop hostile or runaway input: a 15 KB YAML body nested 3,000 levels
 * deep used to exhaust the stack inside the YAML parser and abort the whole worker process.
 * 64 leaves generous room for real data while keeping every recursive walk over a decoded value
 * (reviving tags, converting msgpack maps, the task's own code) far from the stack limit.
 */
export const MAX_DECODE_DEPTH = 64;

/**
 * A payload nests containers deeper than {@link MAX_DECODE_DEPTH}. Its `code` is
 * `SERIALIZATION_FAILED`, like every {@link SerializationError}; test with `instanceof` to tell it
 * apart. The message starts like the other decode errors:
 * `Cannot decode application/x-yaml payload (15001 bytes): it is nested deeper than 64 levels …`.
 */
export class NestingTooDeepError extends SerializationError {
  /** The limit that was exceeded, {@link MAX_DECODE_DEPTH}. */
  readonly limit = MAX_DECODE_DEPTH;

  constructor(
    /** Content type of the refused payload, e.g. `application/json`. */
    readonly contentType: string,
    /** Size of the refused payload in bytes. */
    readonly sizeBytes: number,
  ) {
    super(
      `Cannot decode ${contentType} payload (${sizeBytes} bytes): it is nested deeper than ${MAX_DECODE_DEPTH} levels, ` +
        `taskq's limit for message bodies (MAX_DECODE_DEPTH). Flatten the data, or send the deeply nested part ` +
        `another way (e.g. as a string the task parses itself, or a reference the task fetches).`,
    );
  }
}
