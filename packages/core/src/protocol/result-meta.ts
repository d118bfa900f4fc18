import { ProtocolError } from '../errors';

/** Celery task states. READY states end a task; the others are progress reports. */
export type TaskState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'SUCCESS' | 'FAILURE' | 'RETRY' | 'REVOKED' | 'REJECTED' | 'IGNORED';

/** States after which a task will not change any more. */
export const READY_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED', 'IGNORED']);

/** Celery's serialized exception: never turned back into a class, only read as data. */
export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown[];
  exc_module: string | null;
}

/** The result document Celery's rpc and redis backends store (`_get_result_meta`). */
export interface ResultMeta {
  task_id: string;
  status: TaskState | string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  group_id?: string;
  parent_id?: string;
}

/** Build the result document for a finished (or progressing) task. */
export function buildResultMeta(input: {
  taskId: string;
  status: TaskState;
  result: unknown;
  traceback?: string | null;
  groupId?: string;
  parentId?: string;
  now?: Date;
}): ResultMeta {
  const meta: ResultMeta = {
    task_id: input.taskId,
    status: input.status,
    result: input.result === undefined ? null : input.result,
    traceback: input.traceback ?? null,
    children: [],
    // Celery writes naive UTC ISO timestamps ("2026-11-23T18:00:00.123456").
    date_done: (input.now ?? new Date()).toISOString().replace('Z', ''),
  };
  if (input.groupId) meta.group_id = input.groupId;
  if (input.parentId) meta.parent_id = input.parentId;
  return meta;
}

/**
 * Describe a thrown value in Celery's exception format. `exc_module` is `builtins` for names
 * Python also has (so a Celery client shows a familiar type), `celery.exceptions` for Celery's own
 * (the time limits), else null, which makes Celery synthesise an exception class with that name
 * instead of importing a module.
 */
export function exceptionInfo(error: unknown): ExceptionInfo {
  if (error instanceof Error) {
    const type = error.name || 'Error';
    const module = PYTHON_BUILTINS.has(type) ? 'builtins' : CELERY_EXCEPTIONS.has(type) ? 'celery.exceptions' : null;
    return { exc_type: type, exc_message: [error.message], exc_module: module };
  }
  return { exc_type: 'Error', exc_message: [String(error)], exc_module: null };
}

// JS error names that exist in Python's builtins with the same meaning.
const PYTHON_BUILTINS = new Set(['TypeError', 'RuntimeError', 'ValueError', 'KeyError', 'TimeoutError', 'NotImplementedError']);
// taskq errors named after Celery's, so a Python caller can `except SoftTimeLimitExceeded`.
const CELERY_EXCEPTIONS = new Set(['SoftTimeLimitExceeded', 'TimeLimitExceeded']);

/** Validate a decoded result document enough to read it safely. */
export function parseResultMeta(value: unknown): ResultMeta {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(`Result message must be a mapping, found ${Array.isArray(value) ? 'a list' : typeof value}.`);
  }
  const meta = value as Record<string, unknown>;
  if (typeof meta['task_id'] !== 'string' || typeof meta['status'] !== 'string') {
    throw new ProtocolError("Result message lacks 'task_id' or 'status'.");
  }
  return meta as unknown as ResultMeta;
}

/** Read an exception document into type, module and message text, tolerating odd shapes. */
export function readExceptionInfo(result: unknown): { type: string; module?: string; message: string } {
  if (result && typeof result === 'object' && !Array.isArray(result)) {
    const info = result as Record<string, unknown>;
    const type = typeof info['exc_type'] === 'string' ? info['exc_type'] : 'Error';
    const raw = info['exc_message'];
    const message = Array.isArray(raw)
      ? raw.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(', ')
      : String(raw ?? '');
    const out: { type: string; module?: string; message: string } = { type, message };
    if (typeof info['exc_module'] === 'string') out.module = info['exc_module'];
    return out;
  }
  return { type: 'Error', message: String(result) };
}
