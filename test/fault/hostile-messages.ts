import type { Options } from 'amqplib';
import type { DeadLetterReason } from '@taskq/core';

/** Every hostile message carries this header, so its dead letter can be matched to it. */
export const POISON_TAG_HEADER = 'x-fault-poison';

/** A kind of message a worker must refuse: how to build one, and the dead-letter reason it must get. */
export interface HostileKind {
  name: string;
  reason: DeadLetterReason;
  /** The message for `tag` (unique per message), with `task` as the name of a task the worker has. */
  build(tag: string, task: string): { content: Buffer; options: Options.Publish };
}

/** A task id over the 255 bytes an AMQP short string holds (so it could never be replied to). */
function longId(tag: string): string {
  return `${tag}-`.padEnd(280, 'x');
}

const DEEP_YAML = `${'{a: '.repeat(3000)}1${'}'.repeat(3000)}`;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function message(
  content: Buffer | string,
  contentType: string,
  tag: string,
  headers: Record<string, unknown>,
  extra: Options.Publish = {},
) {
  return { content: Buffer.from(content), options: { contentType, ...extra, headers: { ...headers, [POISON_TAG_HEADER]: tag } } };
}

/**
 * The hostile catalogue: each kind once crashed, looped on or confused a worker somewhere.
 * A valid Celery v2 body is `[args, kwargs, embed]`.
 */
export const HOSTILE_KINDS: readonly HostileKind[] = [
  {
    // 3,000 nested flow mappings: the YAML parser's recursion used to overflow the stack and abort the process.
    name: 'YAML nested 3,000 deep',
    reason: 'malformed',
    build: (tag, task) => message(DEEP_YAML, 'application/x-yaml', tag, { task, id: tag }),
  },
  {
    name: '280-char id, reply wanted',
    reason: 'malformed',
    build: (tag, task) =>
      message(json([[tag], {}, {}]), 'application/json', tag, { task, id: longId(tag) }, { replyTo: 'fault.no-such-reply-queue' }),
  },
  {
    name: 'eta in 2100',
    reason: 'eta-out-of-range',
    build: (tag, task) => message(json([[tag], {}, {}]), 'application/json', tag, { task, id: tag, eta: '2100-01-01T00:00:00+00:00' }),
  },
  {
    name: 'unknown task, 280-char id',
    reason: 'malformed',
    build: (tag) => message(json([[], {}, {}]), 'application/json', tag, { task: 'no.such.task', id: longId(tag) }),
  },
  {
    name: 'expired, 280-char id',
    reason: 'malformed',
    build: (tag, task) =>
      message(json([[tag], {}, {}]), 'application/json', tag, { task, id: longId(tag), expires: '2000-01-01T00:00:00+00:00' }),
  },
  {
    // An own property named __proto__ (JSON.parse makes one); amqplib decodes it by assignment, into the headers' prototype.
    name: 'header named __proto__',
    reason: 'malformed',
    build: (tag, task) =>
      message(json([[tag], {}, {}]), 'application/json', tag, JSON.parse(`{"__proto__": ${JSON.stringify({ task, id: tag })}}`)),
  },
  {
    name: "retries: 'x'",
    reason: 'malformed',
    build: (tag, task) => message(json([[tag], {}, {}]), 'application/json', tag, { task, id: tag, retries: 'x' }),
  },
  { name: 'not JSON', reason: 'malformed', build: (tag, task) => message('{not json', 'application/json', tag, { task, id: tag }) },
  {
    name: 'pickle',
    reason: 'content-type',
    build: (tag, task) => message(Buffer.from([0x80, 0x04, 0x95]), 'application/x-python-serialize', tag, { task, id: tag }),
  },
  {
    name: 'Python YAML tag',
    reason: 'malformed',
    build: (tag, task) => message('!!python/object/apply:os.system ["id"]', 'application/x-yaml', tag, { task, id: tag }),
  },
  {
    name: 'unknown task',
    reason: 'unknown-task',
    build: (tag) => message(json([[], {}, {}]), 'application/json', tag, { task: 'no.such.task', id: tag }),
  },
  {
    name: '__proto__ body',
    reason: 'malformed',
    build: (tag, task) => message('{"__proto__": {"polluted": true}}', 'application/json', tag, { task, id: tag }),
  },
];

/** The deep YAML alone, for a worker process (a stack overflow there would end the process). */
export const DEEP_YAML_KIND = HOSTILE_KINDS[0]!;
