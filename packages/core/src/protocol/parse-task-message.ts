import { ProtocolError } from '../errors';
import type { AcceptList } from '../serialization';
import { EMPTY_EMBED, type IncomingProperties, type TaskEmbed, type TaskRequest } from './task-message';

/**
 * Decode a delivered task message. The content type is checked against `accept` before a single
 * byte is decoded; anything that is not protocol v2 is refused with a {@link ProtocolError}
 * saying what was missing or malformed.
 */
export function parseTaskMessage(content: Buffer, properties: IncomingProperties, accept: AcceptList): TaskRequest {
  const headers = properties.headers ?? {};
  if (!('task' in headers)) return parseProtocolV1(content, properties, accept);
  const name = headers['task'];
  if (typeof name !== 'string' || name === '') {
    throw new ProtocolError(`Message header 'task' must be a non-empty string, found ${describe(name)}.`);
  }
  const id = headers['id'] ?? properties.correlationId;
  if (typeof id !== 'string' || id === '') {
    throw new ProtocolError(`Task message for '${name}' has no 'id' header (found ${describe(id)}).`);
  }
  checkIdLength(id, name);

  const serializer = accept.check(properties.contentType);
  const body = serializer.decode(content);
  if (!Array.isArray(body) || body.length < 2) {
    throw new ProtocolError(`Task ${name}[${id}]: body must be [args, kwargs, embed], found ${describe(body)}.`);
  }
  const [args, kwargs, embed] = body as [unknown, unknown, unknown];
  return buildRequest({
    id,
    name,
    args,
    kwargs,
    headers,
    properties,
    contentType: serializer.contentType,
    embed: isObject(embed) ? (embed as unknown as TaskEmbed) : EMPTY_EMBED,
    fields: headers,
  });
}

/**
 * Celery protocol v1 (Celery 3.x, or `task_protocol = 1`): no `task` header; the body is a mapping
 * holding task, id, args, kwargs, retries, eta, expires, taskset, timelimit. Converted to the v2
 * shape, as Celery's own worker does; anything else is refused with the reason.
 */
function parseProtocolV1(content: Buffer, properties: IncomingProperties, accept: AcceptList): TaskRequest {
  const serializer = accept.check(properties.contentType);
  const body = serializer.decode(content);
  if (!isObject(body) || !('task' in body)) {
    throw new ProtocolError(
      "Message has no 'task' header and its body is not a Celery protocol v1 task (a mapping with 'task', 'id', " +
        "'args', 'kwargs'): not a task message. Send it with a Celery-compatible producer.",
    );
  }
  const name = body['task'];
  const id = body['id'];
  if (typeof name !== 'string' || name === '' || typeof id !== 'string' || id === '') {
    throw new ProtocolError(
      `Protocol v1 message needs string 'task' and 'id' fields, found task ${describe(name)} and id ${describe(id)}.`,
    );
  }
  checkIdLength(id, name);
  const headers = { ...properties.headers, lang: 'py', task: name, id, protocol: 1 };
  return buildRequest({
    id,
    name,
    args: body['args'] ?? [],
    kwargs: body['kwargs'] ?? {},
    headers,
    properties,
    contentType: serializer.contentType,
    embed: {
      callbacks: Array.isArray(body['callbacks']) ? body['callbacks'] : null,
      errbacks: Array.isArray(body['errbacks']) ? body['errbacks'] : null,
      chain: null,
      chord: body['chord'] ?? null,
    },
    fields: { ...body, group: body['taskset'], root_id: undefined, parent_id: undefined, ignore_result: false },
  });
}

/** Shared validation and assembly for v1 and v2; `fields` is where eta, retries, … are read from. */
function buildRequest(input: {
  id: string;
  name: string;
  args: unknown;
  kwargs: unknown;
  embed: TaskEmbed;
  headers: Record<string, unknown>;
  properties: IncomingProperties;
  contentType: string;
  fields: Record<string, unknown>;
}): TaskRequest {
  const { id, name, args, kwargs, headers, properties, fields } = input;
  if (!Array.isArray(args)) throw new ProtocolError(`Task ${name}[${id}]: args must be a list, found ${describe(args)}.`);
  if (!isObject(kwargs)) throw new ProtocolError(`Task ${name}[${id}]: kwargs must be a mapping, found ${describe(kwargs)}.`);
  const request: TaskRequest = {
    id,
    name,
    args,
    kwargs: kwargs as Record<string, unknown>,
    embed: input.embed,
    retries: parseRetries(fields['retries'], name, id),
    ignoreResult: fields['ignore_result'] === true,
    timeLimit: parseTimeLimit(fields['timelimit']),
    contentType: input.contentType,
    headers,
  };
  const eta = parseDate(fields['eta'], 'eta', name, id);
  if (eta) request.eta = eta;
  const expires = parseDate(fields['expires'], 'expires', name, id);
  if (expires) request.expires = expires;
  assignString(request, 'rootId', fields['root_id']);
  assignString(request, 'parentId', fields['parent_id']);
  assignString(request, 'groupId', fields['group']);
  assignString(request, 'replyTo', properties.replyTo);
  assignString(request, 'correlationId', properties.correlationId);
  assignString(request, 'lang', headers['lang']);
  assignString(request, 'origin', headers['origin']);
  if (typeof properties.priority === 'number') request.priority = properties.priority;
  return request;
}

/**
 * A task id travels as the AMQP correlation id of its rpc reply, a short string of at most 255
 * bytes; a longer one could never be answered (Celery's ids are 36-character UUIDs).
 */
export const MAX_TASK_ID_BYTES = 255;

function checkIdLength(id: string, name: string): void {
  const bytes = Buffer.byteLength(id);
  if (bytes > MAX_TASK_ID_BYTES) {
    throw new ProtocolError(
      `Task message for '${name}' has an id of ${bytes} bytes (${describe(id)}); task ids must be at most ${MAX_TASK_ID_BYTES} bytes ` +
        `(an AMQP short string). Send it with a shorter taskId (Celery uses UUIDs).`,
    );
  }
}

function parseRetries(value: unknown, name: string, id: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ProtocolError(
    `Task ${name}[${id}]: header 'retries' must be a whole number ≥ 0, found ${describe(value)}${typeof value === 'number' ? ` (${value})` : ''}.`,
  );
}

function parseDate(value: unknown, header: string, name: string, id: string): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    // Celery sends naive ISO timestamps in UTC when `enable_utc` is on (the default).
    const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(value);
    const date = new Date(hasZone ? value : `${value}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new ProtocolError(`Task ${name}[${id}]: header '${header}' must be an ISO 8601 time, found ${describe(value)}.`);
}

function parseTimeLimit(value: unknown): [number | null, number | null] {
  if (!Array.isArray(value)) return [null, null];
  const limit = (v: unknown): number | null => (typeof v === 'number' && v > 0 ? v : null);
  return [limit(value[0]), limit(value[1])];
}

function assignString<K extends keyof TaskRequest>(target: TaskRequest, key: K, value: unknown): void {
  if (typeof value === 'string' && value !== '') (target as unknown as Record<string, unknown>)[key] = value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  return typeof value;
}
