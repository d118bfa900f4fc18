import { hostname } from 'node:os';
import type { Serializer } from '../serialization';
import { EMPTY_EMBED, type EncodedMessage, type OutgoingTask } from './task-message';
import { shortRepr } from './short-repr';

/** `gen<pid>@<host>`, Celery's origin format, computed once. */
const ORIGIN = `gen${process.pid}@${hostname()}`;

/**
 * Build a Celery protocol v2 task message: headers carry the metadata, the body is
 * `[args, kwargs, embed]` encoded with `serializer`.
 */
export function buildTaskMessage(task: OutgoingTask, serializer: Serializer): EncodedMessage {
  const content = serializer.encode([task.args, task.kwargs, task.embed ?? EMPTY_EMBED]);
  const protocol = protocolHeaders(task);
  // User headers first, so protocol headers win on conflict; without any, the literal is used as is.
  const headers: Record<string, unknown> = task.headers ? { ...task.headers, ...protocol } : protocol;
  const message: EncodedMessage = {
    content,
    contentType: serializer.contentType,
    contentEncoding: serializer.contentEncoding,
    correlationId: task.id,
    headers,
    persistent: true,
  };
  if (task.replyTo !== undefined) message.replyTo = task.replyTo;
  if (task.priority !== undefined) message.priority = task.priority;
  return message;
}

/** Celery protocol v2 headers, in Celery's order; one object literal per message (a fixed shape). */
function protocolHeaders(task: OutgoingTask): Record<string, unknown> {
  return {
    lang: 'js',
    task: task.name,
    id: task.id,
    shadow: null,
    eta: task.eta ? task.eta.toISOString() : null,
    expires: task.expires ? task.expires.toISOString() : null,
    group: task.groupId ?? null,
    group_index: null,
    retries: task.retries ?? 0,
    timelimit: task.timeLimit ?? [null, null],
    root_id: task.rootId ?? task.id,
    parent_id: task.parentId ?? null,
    argsrepr: shortRepr(task.args),
    kwargsrepr: shortRepr(task.kwargs),
    origin: ORIGIN,
    ignore_result: task.ignoreResult ?? false,
    replaced_task_nesting: 0,
    stamped_headers: null,
    stamps: {},
  };
}
