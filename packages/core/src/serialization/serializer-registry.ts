import { ContentTypeRejectedError, TaskqError } from '../errors';
import { isPickle, normalizeContentType, PICKLE_REFUSAL } from './content-type';
import { createJsonSerializer } from './json-serializer';
import { createMsgpackSerializer } from './msgpack-serializer';
import type { Serializer } from './serializer';
import { createYamlSerializer } from './yaml-serializer';

/**
 * The content types a consumer accepts, resolved from names and content types once, at start-up.
 */
export interface AcceptList {
  /** Accepted content types, normalized (lower-case, no parameters), without duplicates. */
  readonly contentTypes: readonly string[];
  /**
   * Returns the serializer for a message's content type, or throws.
   * A missing or empty content type is read as `application/json` (and must then be accepted).
   * Note: kombu itself treats a missing content type as raw `application/data`; taskq has no raw
   * payloads, and JSON is what every Celery client sends by default.
   * @throws {@link ContentTypeRejectedError} (`CONTENT_TYPE_REJECTED`) when not accepted.
   */
  check(contentType: string | undefined): Serializer;
}

/** Content type assumed for messages that carry none. */
const DEFAULT_CONTENT_TYPE = 'application/json';
// Bare, lower-case media types only: kombu looks content types up by exact string, so anything
// else would be sent fine but fail on a Python consumer.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const SHAPE_HINT = 'A serializer is { name, contentType, contentEncoding, encode(value) => Buffer, decode(payload: Buffer) => value }.';

/**
 * Serializers by name and by content type, shared by the producer (encode by name) and the worker
 * (decode by the message's content type, through an {@link AcceptList}). Pickle can never be
 * registered or accepted.
 *
 * Error codes: `SERIALIZER_INVALID`, `SERIALIZER_FORBIDDEN`, `SERIALIZER_CONFLICT`,
 * `UNKNOWN_SERIALIZER`, `ACCEPT_LIST_INVALID`.
 */
export class SerializerRegistry {
  private readonly byName = new Map<string, Serializer>();
  /** Normalized content type → name. */
  private readonly nameByContentType = new Map<string, string>();

  /**
   * Adds a serializer, or replaces the one registered under the same name.
   * @throws {@link TaskqError} `SERIALIZER_INVALID` for a malformed object (naming the field),
   *   `SERIALIZER_FORBIDDEN` for pickle, `SERIALIZER_CONFLICT` when another name already uses
   *   the content type.
   */
  register(serializer: Serializer): this {
    const candidate = validateShape(serializer);
    const contentType = normalizeContentType(candidate.contentType);
    const owner = this.nameByContentType.get(contentType);
    if (owner !== undefined && owner !== candidate.name) {
      throw new TaskqError(
        'SERIALIZER_CONFLICT',
        `Cannot register serializer '${candidate.name}': content type '${contentType}' is already used by ` +
          `'${owner}', and a content type must identify one serializer so consumers know how to decode. ` +
          `Re-register '${owner}' to replace it, or give '${candidate.name}' its own content type.`,
      );
    }
    const previous = this.byName.get(candidate.name);
    if (previous) this.nameByContentType.delete(normalizeContentType(previous.contentType));
    this.byName.set(candidate.name, candidate);
    this.nameByContentType.set(contentType, candidate.name);
    return this;
  }

  /**
   * The serializer registered under `name`.
   * @throws {@link TaskqError} `UNKNOWN_SERIALIZER`, or `SERIALIZER_FORBIDDEN` for pickle.
   */
  get(name: string): Serializer {
    const serializer = this.byName.get(name);
    if (serializer) return serializer;
    if (isPickle(name)) throw forbidden(`Serializer '${name}'`);
    throw new TaskqError(
      'UNKNOWN_SERIALIZER',
      `Unknown serializer '${name}': registered are ${this.names().join(', ') || '(none)'}. ` +
        `Register it with app.serializers.register({...})`,
    );
  }

  /** True if a serializer is registered under `name`. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The serializer for a content type; case-insensitive, parameters such as `; charset=utf-8` ignored. */
  byContentType(contentType: string): Serializer | undefined {
    const name = this.nameByContentType.get(normalizeContentType(contentType));
    return name === undefined ? undefined : this.byName.get(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /**
   * Resolves an accept list — serializer names (`json`) and/or content types
   * (`application/json`) — into a checker. Serializers are looked up at check time, so a
   * serializer re-registered under the same content type is picked up.
   * @throws {@link TaskqError} `UNKNOWN_SERIALIZER` for an unregistered name or content type,
   *   `SERIALIZER_FORBIDDEN` for pickle, `ACCEPT_LIST_INVALID` for an empty list or a non-string.
   */
  acceptList(accept: readonly string[]): AcceptList {
    if (!Array.isArray(accept) || accept.length === 0) {
      throw new TaskqError(
        'ACCEPT_LIST_INVALID',
        'The accept list is empty, so every message would be rejected. List serializer names or content types, e.g. ' + "['json'].",
      );
    }
    const contentTypes: string[] = [];
    for (const entry of accept) {
      const contentType = this.resolveAcceptEntry(entry);
      if (!contentTypes.includes(contentType)) contentTypes.push(contentType);
    }
    Object.freeze(contentTypes);
    const labels = contentTypes.map((type) => `${type} (${this.nameByContentType.get(type) ?? '?'})`);
    return Object.freeze({
      contentTypes,
      check: (received: string | undefined): Serializer => {
        const contentType = received ? normalizeContentType(received) : DEFAULT_CONTENT_TYPE;
        const serializer = contentTypes.includes(contentType) ? this.byContentType(contentType) : undefined;
        if (serializer) return serializer;
        const shown = received ? received : `${DEFAULT_CONTENT_TYPE} (the message had no content type)`;
        throw new ContentTypeRejectedError(shown, labels);
      },
    });
  }

  private resolveAcceptEntry(entry: unknown): string {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw new TaskqError(
        'ACCEPT_LIST_INVALID',
        `Invalid accept list entry ${JSON.stringify(entry) ?? String(entry)}: expected a serializer name such as ` +
          `'json' or a content type such as 'application/json'.`,
      );
    }
    if (isPickle(entry)) throw forbidden(`Accept list entry '${entry}'`);
    if (!entry.includes('/')) return normalizeContentType(this.get(entry).contentType);
    const contentType = normalizeContentType(entry);
    if (!this.nameByContentType.has(contentType)) {
      const known = [...this.nameByContentType].map(([type, name]) => `${type} (${name})`).join(', ');
      throw new TaskqError(
        'UNKNOWN_SERIALIZER',
        `Unknown content type '${entry}' in the accept list: no serializer is registered for it ` +
          `(registered are ${known || '(none)'}). Register it with app.serializers.register({...})`,
      );
    }
    return contentType;
  }
}

/** A registry with the built-in `json`, `msgpack` and `yaml` serializers. */
export function createSerializerRegistry(): SerializerRegistry {
  return new SerializerRegistry().register(createJsonSerializer()).register(createMsgpackSerializer()).register(createYamlSerializer());
}

function forbidden(what: string): TaskqError {
  return new TaskqError('SERIALIZER_FORBIDDEN', `${what} is refused: ${PICKLE_REFUSAL}.`);
}

/** Checks a would-be serializer field by field, naming the first problem. */
function validateShape(value: unknown): Serializer {
  if (typeof value !== 'object' || value === null) {
    throw invalid(undefined, `expected an object, got ${value === null ? 'null' : typeof value}`);
  }
  const candidate = value as Record<string, unknown>;
  const name = typeof candidate.name === 'string' ? candidate.name : undefined;
  // Pickle first: it is the more important message, even for an otherwise malformed object.
  if ((name !== undefined && isPickle(name)) || (typeof candidate.contentType === 'string' && isPickle(candidate.contentType))) {
    throw forbidden(`Serializer '${name ?? String(candidate.contentType)}'`);
  }
  if (name === undefined || name.trim() === '' || name !== name.trim() || name.includes('/')) {
    throw invalid(name, `'name' must be a non-empty string without '/' or surrounding spaces (got ${describe(candidate.name)})`);
  }
  if (typeof candidate.contentType !== 'string' || !MEDIA_TYPE.test(candidate.contentType)) {
    throw invalid(
      name,
      `'contentType' must be a bare lower-case media type such as 'application/json', without parameters, ` +
        `because Python consumers compare it as an exact string (got ${describe(candidate.contentType)})`,
    );
  }
  if (typeof candidate.contentEncoding !== 'string' || candidate.contentEncoding.trim() === '') {
    throw invalid(
      name,
      `'contentEncoding' must be a non-empty string such as 'utf-8' or 'binary' (got ${describe(candidate.contentEncoding)})`,
    );
  }
  for (const method of ['encode', 'decode'] as const) {
    if (typeof candidate[method] !== 'function') {
      throw invalid(name, `'${method}' must be a function (got ${describe(candidate[method])})`);
    }
  }
  return value as Serializer;
}

function invalid(name: string | undefined, problem: string): TaskqError {
  const subject = name === undefined ? 'serializer' : `serializer '${name}'`;
  return new TaskqError('SERIALIZER_INVALID', `Cannot register ${subject}: ${problem}. ${SHAPE_HINT}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  return value === null ? 'null' : typeof value;
}
