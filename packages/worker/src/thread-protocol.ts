/**
 * The messages between the worker and its task threads (`isolate: 'thread'`), and how errors
 * cross: structured clone keeps an Error's message but not its class or extra fields, so errors
 * travel as plain data and are rebuilt on the other side.
 */
import type { AppOverrides } from '@taskq/core';
import type { TsxLocation } from './tasks-module';

/** What a thread is started with (`workerData`). */
export interface ThreadData {
  /** Absolute path of the tasks module to load (the app's `sourceModule`). */
  modulePath: string;
  /** tsx's loaders, to register before loading a TypeScript module; absent for JavaScript. */
  tsx?: TsxLocation;
  /** The worker app's configure() overrides (CLI --broker, --config, …), applied to the thread's copy of the app. */
  overrides?: Omit<AppOverrides, 'logger'>;
}

/** The facts of `currentTask()` that can be cloned (the signal is rebuilt in the thread). */
export interface ThreadTaskContext {
  id: string;
  name: string;
  kwargs: Readonly<Record<string, unknown>>;
  retries: number;
  redelivered: boolean;
  queue: string;
  request: unknown;
}

/** Worker → thread. */
export type ToThread =
  | { type: 'run'; runId: number; taskName: string; args: unknown[]; context: ThreadTaskContext }
  | { type: 'abort'; runId: number; reason: SerializedError };

/** Thread → worker. */
export type FromThread =
  | { type: 'ready' }
  | { type: 'load-failed'; error: SerializedError }
  | { type: 'done'; runId: number; ok: true; value: unknown }
  | { type: 'done'; runId: number; ok: false; error: SerializedError };

/** An error as data. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** Own fields with primitive, Date or Error values (`code`, `limitSeconds`, a retry's `eta` and `error`, …). */
  fields: Record<string, FieldValue>;
}

type FieldValue = string | number | boolean | null | Date | { $error: SerializedError };

/** Error classes that keep their identity across the thread boundary, by `code`. */
export type ErrorClasses = Readonly<Record<string, new (...args: never[]) => Error>>;

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: SerializedError['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (value instanceof Error) fields[key] = { $error: serializeError(value) };
    else if (value === null || value instanceof Date || ['string', 'number', 'boolean'].includes(typeof value))
      fields[key] = value as FieldValue;
  }
  const serialized: SerializedError = { name: error.name, message: error.message, fields };
  if (error.stack !== undefined) serialized.stack = error.stack;
  return serialized;
}

/**
 * Rebuild an error: an instance of `classes[code]` when its code is listed (so `instanceof
 * SoftTimeLimitExceeded` holds), else an Error; with the original name, message, stack and fields.
 */
export function reviveError(serialized: SerializedError, classes: ErrorClasses = {}): Error {
  const code = serialized.fields['code'];
  const known = typeof code === 'string' ? classes[code] : undefined;
  const error: Error = known ? Object.create(known.prototype as object) : new Error(serialized.message);
  Object.defineProperty(error, 'message', { value: serialized.message, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', {
    value: serialized.stack ?? `${serialized.name}: ${serialized.message}`,
    writable: true,
    configurable: true,
  });
  for (const [key, value] of Object.entries(serialized.fields)) {
    (error as unknown as Record<string, unknown>)[key] = isNestedError(value) ? reviveError(value.$error, classes) : value;
  }
  // `name` last: TaskqError sets it as an own field, and the Error prototype's would otherwise show.
  Object.defineProperty(error, 'name', { value: serialized.name, writable: true, configurable: true });
  return error;
}

function isNestedError(value: FieldValue): value is { $error: SerializedError } {
  return typeof value === 'object' && value !== null && !(value instanceof Date) && '$error' in value;
}
