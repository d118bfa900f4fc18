import type { TaskqErrorCode } from './error-codes';

export { ERROR_CODES, type TaskqErrorCode } from './error-codes';

/**
 * taskq's error hierarchy. Every error a user can cause or observe is a {@link TaskqError} with a
 * stable `code`, a message that says what went wrong, where, and how to fix it, and an optional
 * `cause`. Code that handles errors should switch on `code`, not on message text.
 */
export class TaskqError extends Error {
  /** Stable machine-readable identifier, e.g. `CONFIG_INVALID`: one of {@link ERROR_CODES}. */
  readonly code: TaskqErrorCode;

  constructor(code: TaskqErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One problem found while validating configuration: where it is and what is wrong. */
export interface ConfigProblem {
  /** The file the problem is in, or a label such as `createApp options` for in-code config. */
  file: string;
  /** Dotted key path inside the file, e.g. `deadLetter.exchange`; empty for the whole file. */
  key: string;
  /** What was found and what was expected, in plain words. */
  message: string;
}

/** Configuration (routing files, app options) is invalid. Lists every problem at once. */
export class ConfigError extends TaskqError {
  declare readonly code: 'CONFIG_INVALID';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options?: { cause?: unknown }) {
    super('CONFIG_INVALID', formatProblems(problems), options);
    this.problems = problems;
  }
}

function formatProblems(problems: readonly ConfigProblem[]): string {
  const lines = problems.map((p) => `  - ${p.file}${p.key ? ` (${p.key})` : ''}: ${p.message}`);
  const noun = problems.length === 1 ? 'problem' : 'problems';
  return `Invalid taskq configuration, ${problems.length} ${noun}:\n${lines.join('\n')}`;
}

/** A task name that no handler is registered for. */
export class NotRegisteredError extends TaskqError {
  declare readonly code: 'TASK_NOT_REGISTERED';

  constructor(
    readonly taskName: string,
    known: readonly string[],
  ) {
    super(
      'TASK_NOT_REGISTERED',
      `No task named '${taskName}' is registered in this app` +
        (known.length ? ` (registered: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', …' : ''})` : '') +
        `. Define it with app.task('${taskName}', handler) in the module the worker loads.`,
    );
  }
}

/** A value could not be encoded or a payload could not be decoded. */
export class SerializationError extends TaskqError {
  declare readonly code: 'SERIALIZATION_FAILED';

  constructor(message: string, options?: { cause?: unknown }) {
    super('SERIALIZATION_FAILED', message, options);
  }
}

/** A message's content type is not in the accept list (or is pickle, which is never accepted). */
export class ContentTypeRejectedError extends TaskqError {
  declare readonly code: 'CONTENT_TYPE_REJECTED';

  constructor(
    readonly contentType: string,
    accepted: readonly string[],
  ) {
    super(
      'CONTENT_TYPE_REJECTED',
      `Refusing message with content type '${contentType}': accepted are ${accepted.join(', ')}. ` +
        `Send with one of these serializers, or add yours to the worker's accept list.`,
    );
  }
}

/** A message does not follow Celery protocol v2 (missing headers, malformed body, …). */
export class ProtocolError extends TaskqError {
  declare readonly code: 'PROTOCOL_INVALID';

  constructor(message: string, options?: { cause?: unknown }) {
    super('PROTOCOL_INVALID', message, options);
  }
}

/**
 * The codes a {@link BrokerError} carries: connecting, publishing, declaring, and reaching Redis.
 * (Each must be a {@link TaskqErrorCode}: the constructor's `super` call checks it.)
 */
export type BrokerErrorCode =
  | 'BROKER_URL_INVALID'
  | 'BROKER_UNREACHABLE'
  | 'BROKER_AUTH_FAILED'
  | 'BROKER_VHOST_DENIED'
  | 'BROKER_CONNECT_FAILED'
  | 'BROKER_TLS_FAILED'
  | 'BROKER_RECONNECT_FAILED'
  | 'BROKER_UNAVAILABLE'
  | 'PUBLISH_UNCONFIRMED'
  | 'EXCHANGE_NOT_FOUND'
  | 'QUEUE_DECLARE_FAILED'
  | 'RESULT_BACKEND_UNREACHABLE';

/** The broker cannot be reached, refused the login, or the connection was lost. */
export class BrokerError extends TaskqError {
  declare readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** The broker did not route a published message to any queue (it would have been dropped). */
export class UnroutableError extends TaskqError {
  declare readonly code: 'MESSAGE_UNROUTABLE';

  constructor(exchange: string, routingKey: string) {
    super(
      'MESSAGE_UNROUTABLE',
      `The broker could not route the message: exchange '${exchange || '(default)'}' with routing key ` +
        `'${routingKey}' reaches no queue. Declare the queue (routing file or 'queue' option) or fix the binding.`,
    );
  }
}

/** The broker refused (nacked) a published message. */
export class PublishRejectedError extends TaskqError {
  declare readonly code: 'PUBLISH_NACKED';

  constructor(exchange: string, routingKey: string) {
    super(
      'PUBLISH_NACKED',
      `The broker refused the message for exchange '${exchange || '(default)'}', routing key '${routingKey}' ` +
        `(basic.nack): it was not stored. Check the broker's logs (disk or memory alarm, queue length limit).`,
    );
  }
}

/** Waiting for a result took longer than the caller allowed. */
export class ResultTimeoutError extends TaskqError {
  declare readonly code: 'RESULT_TIMEOUT';

  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
  ) {
    super(
      'RESULT_TIMEOUT',
      `No result for task ${taskId} within ${timeoutMs} ms. Is a worker consuming its queue? ` +
        `Raise the timeout with get({ timeout }) if the task is slow.`,
    );
  }
}

/**
 * Waiting for a result timed out while the result backend could not be reached, or could not for
 * part of the wait. Unlike a plain {@link ResultTimeoutError} this says nothing about workers: the
 * task may well have finished, and its result can still arrive once the backend is back.
 */
export class ResultBackendUnavailableError extends TaskqError {
  declare readonly code: 'RESULT_BACKEND_UNAVAILABLE';

  constructor(
    readonly taskId: string,
    readonly timeoutMs: number,
    /** The backend for people, secrets masked: e.g. `the Redis result backend at redis://:****@host:6379/0`. */
    backend: string,
    /** True when it is still unreachable as the wait ends (else it was for part of the wait). */
    stillUnreachable: boolean,
    /** The last connection error, secrets masked. */
    lastError: string | undefined,
    /** What to check, e.g. that the server runs and the URL is right. */
    hint: string,
  ) {
    super(
      'RESULT_BACKEND_UNAVAILABLE',
      `No result for task ${taskId} within ${timeoutMs} ms: ${backend} ` +
        `${stillUnreachable ? 'is unreachable' : 'was unreachable during the wait'}` +
        `${lastError ? ` (last error: ${lastError})` : ''}. The task may have finished all the same: its result ` +
        `can still arrive, so call get() again once the backend is reachable. ${hint}`,
    );
  }
}

/**
 * The task ran and failed on the worker (or was revoked). Carries what the worker reported; the
 * remote exception type is a plain string and is never instantiated.
 */
export class TaskFailedError extends TaskqError {
  declare readonly code: 'TASK_FAILED' | 'TASK_REVOKED';

  constructor(
    readonly taskId: string,
    /** The remote exception's type name, e.g. `TypeError` or Python's `ValueError`. */
    readonly excType: string,
    /** The remote exception's module (Python) or `js` for taskq workers. */
    readonly excModule: string | undefined,
    message: string,
    /** The remote stack trace or Python traceback, as text. */
    readonly remoteStack: string | undefined,
    /** The final state: FAILURE or REVOKED. */
    readonly state: string = 'FAILURE',
  ) {
    super(state === 'REVOKED' ? 'TASK_REVOKED' : 'TASK_FAILED', `${excType}: ${message}`);
  }
}

/**
 * A task ran past its soft time limit. It is the reason of the `currentTask().signal` abort, so a
 * handler that throws `signal.reason` (or passes the signal to `fetch`) fails with it; the caller
 * sees `excType` `SoftTimeLimitExceeded`, Celery's name.
 */
export class SoftTimeLimitExceeded extends TaskqError {
  declare readonly code: 'SOFT_TIME_LIMIT';

  constructor(
    /** The soft limit that passed, in seconds. */
    readonly limitSeconds: number,
    task?: string,
  ) {
    super(
      'SOFT_TIME_LIMIT',
      `Task ${task ?? ''}${task ? ' ' : ''}exceeded its soft time limit of ${limitSeconds} s. ` +
        'Finish or clean up when currentTask().signal aborts, or raise the limit (softTimeLimit).',
    );
  }
}

/**
 * A task ran past its hard time limit: the worker marked it failed, acked it and freed its slot
 * (a task in a worker thread was terminated; an in-process handler cannot be stopped).
 */
export class TimeLimitExceeded extends TaskqError {
  declare readonly code: 'TIME_LIMIT';

  constructor(
    /** The hard limit that passed, in seconds. */
    readonly limitSeconds: number,
    task?: string,
    detail?: string,
  ) {
    super(
      'TIME_LIMIT',
      `Task ${task ?? ''}${task ? ' ' : ''}exceeded its hard time limit of ${limitSeconds} s and was marked failed` +
        `${detail ? `; ${detail}` : ''}. Raise the limit (timeLimit) if the task needs longer.`,
    );
  }
}

/** Something was used after `close()`. */
export class ClosedError extends TaskqError {
  declare readonly code: 'CLOSED';

  constructor(what: string) {
    super('CLOSED', `${what} is closed; create a new one instead of reusing it after close().`);
  }
}

/** An encoded task body is bigger than the app's `maxMessageBytes`. */
export class MessageTooLargeError extends TaskqError {
  declare readonly code: 'MESSAGE_TOO_LARGE';

  constructor(
    readonly taskName: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(
      'MESSAGE_TOO_LARGE',
      `Task '${taskName}' encodes to ${sizeBytes} bytes, over the limit of ${limitBytes} bytes (maxMessageBytes). ` +
        `Pass a reference instead (a URL, a storage key, a database id) and let the task fetch the data, ` +
        `or raise the limit with createApp({ maxMessageBytes }) on producers and workers alike.`,
    );
  }
}
