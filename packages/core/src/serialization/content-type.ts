/**
 * Content-type helpers shared by the registry and accept lists.
 */

/** Pickle's content type: decoding it runs code chosen by the sender, so taskq refuses it. */
export const PICKLE_CONTENT_TYPE = 'application/x-python-serialize';

/**
 * The comparable form of a content type: media type only, trimmed and lower-cased, so
 * `Application/JSON; charset=utf-8` and `application/json` match.
 */
export function normalizeContentType(contentType: string): string {
  const semicolon = contentType.indexOf(';');
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/** True for pickle, by serializer name or content type (any case, any parameters). */
export function isPickle(nameOrContentType: string): boolean {
  const value = nameOrContentType.trim().toLowerCase();
  return value === 'pickle' || normalizeContentType(value) === PICKLE_CONTENT_TYPE;
}

/** Why pickle is refused, for error messages. */
export const PICKLE_REFUSAL =
  'pickle lets the sender run arbitrary code in the process that decodes the message ' +
  '(the remote-code-execution hole behind Celery dropping it as the default); use json, msgpack or yaml';
