/**
 * Celery message protocol v2, as taskq sends and receives it. See
 * docs/PROTOCOL.md and ../shared/reference/celery-protocol-v2.md for the field-by-field contract.
 */

/** The third element of a v2 body: workflow links (taskq passes them through untouched). */
export interface TaskEmbed {
  callbacks: unknown[] | null;
  errbacks: unknown[] | null;
  chain: unknown[] | null;
  chord: unknown | null;
}

/** Everything needed to build one task message. */
export interface OutgoingTask {
  id: string;
  name: string;
  args: readonly unknown[];
  kwargs: Record<string, unknown>;
  /** When the task may run; absent = now. */
  eta?: Date;
  /** When the task expires and must not run any more. */
  expires?: Date;
  retries?: number;
  rootId?: string;
  parentId?: string;
  groupId?: string;
  ignoreResult?: boolean;
  /** `[hard, soft]` time limits in seconds, Celery's header order. */
  timeLimit?: [number | null, number | null];
  /** Queue (routing key) where the rpc result should be published. */
  replyTo?: string;
  priority?: number;
  /** User headers merged into the message headers (protocol headers win on conflict). */
  headers?: Record<string, unknown>;
  embed?: TaskEmbed;
}

/** A message ready for `basic.publish`, independent of the AMQP client library. */
export interface EncodedMessage {
  content: Buffer;
  contentType: string;
  contentEncoding: string;
  correlationId: string;
  replyTo?: string;
  priority?: number;
  headers: Record<string, unknown>;
  /** Persistent (delivery mode 2) unless a caller opts out. */
  persistent: boolean;
}

/** A decoded task message, as the worker sees it. */
export interface TaskRequest {
  id: string;
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: TaskEmbed;
  eta?: Date;
  expires?: Date;
  retries: number;
  rootId?: string;
  parentId?: string;
  groupId?: string;
  ignoreResult: boolean;
  timeLimit: [number | null, number | null];
  replyTo?: string;
  correlationId?: string;
  priority?: number;
  contentType: string;
  /** 'py' from Celery, 'js' from taskq, or whatever the sender put. */
  lang?: string;
  origin?: string;
  /** All headers as received (protocol and user headers). */
  headers: Record<string, unknown>;
}

/** The AMQP message properties that the protocol reads (a subset of amqplib's). */
export interface IncomingProperties {
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  replyTo?: string;
  priority?: number;
  headers?: Record<string, unknown>;
}

export const EMPTY_EMBED: TaskEmbed = Object.freeze({ callbacks: null, errbacks: null, chain: null, chord: null }) as TaskEmbed;
