/**
 * Drive a REAL Celery 5.2.6 worker and a REAL Celery producer from jest tests.
 *
 * Python side (this folder): `interop_app.py` (the Celery app + tasks `py.add`, `py.fail`,
 * `py.echo`, `py.now`, `py.sleep`) and `client.py` (a producer driven by one JSON document on
 * stdin). Both run under Debian's `/usr/bin/python3`, which has Celery 5.2.6 / kombu 5.2.4 — NOT
 * the pyenv `python3` that comes first on PATH.
 *
 * This module deliberately imports nothing but Node built-ins (amqplib does not resolve from
 * `test/`), so any package's tests can use it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';

/** Debian's interpreter, the one with Celery installed. */
export const PYTHON = '/usr/bin/python3';
/** The folder holding `interop_app.py` and `client.py`. */
export const CELERY_DIR = path.resolve(__dirname);
/** The broker URL in Celery's spelling (trailing `//` = vhost `/`). */
export const CELERY_BROKER_URL = process.env['TASKQ_TEST_BROKER'] ?? 'amqp://guest:guest@127.0.0.1:5672//';
export const REDIS_BACKEND_URL = 'redis://127.0.0.1:6379/0';

let available: boolean | undefined;

/** True when `/usr/bin/python3` can import celery, kombu, msgpack and yaml (cached). */
export function celeryAvailable(): boolean {
  if (available === undefined) {
    const probe = spawnSync(PYTHON, ['-c', 'import celery, kombu, msgpack, yaml'], { env: pythonEnv(), timeout: 20_000 });
    available = probe.status === 0;
  }
  return available;
}

/**
 * `describe` for suites that need Debian's Celery. Where it is missing the suite FAILS with the
 * install command — an interop suite that silently skips would pass as green without proving anything.
 */
export const describeWithCelery: jest.Describe = ((name: string, fn: () => void) =>
  describe(name, () => {
    if (!celeryAvailable()) {
      it('needs Celery for /usr/bin/python3', () => {
        throw new Error(
          'Celery is not importable by /usr/bin/python3. Install it with: ' +
            'apt-get install -y python3-celery python3-msgpack python3-yaml python3-redis (.ci/run does this).',
        );
      });
      return;
    }
    fn();
  })) as jest.Describe;

/** A unique queue name for one test, e.g. `test.celery.3f2a9c1e`. */
export function uniqueCeleryQueue(prefix = 'celery'): string {
  return `test.${prefix}.${randomUUID().slice(0, 8)}`;
}

/** Environment for the Python processes: no pyenv leftovers, no .pyc files, unbuffered output. */
function pythonEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of ['PYTHONPATH', 'PYTHONHOME', 'PYENV_VERSION', 'VIRTUAL_ENV']) delete env[key];
  Object.assign(env, {
    PYTHONPATH: CELERY_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONUNBUFFERED: '1',
    PYTHONNOUSERSITE: '1',
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// Worker
// ---------------------------------------------------------------------------------------------

export interface CeleryWorkerOptions {
  /** Queues to consume (`-Q`); Celery declares each (durable, x-max-priority 10) plus a direct exchange of the same name. */
  queues: string[];
  /** Result backend, default `rpc://`; e.g. {@link REDIS_BACKEND_URL}. */
  backend?: string;
  /** Result serializer: json (default) | msgpack | yaml. */
  resultSerializer?: string;
  /**
   * x-max-priority Celery puts on the queues it declares; default 10 (= taskq). `null` declares
   * plain queues — against a queue taskq already declared that is PRECONDITION_FAILED and the
   * worker exits at startup.
   */
  queueMaxPriority?: number | null;
  /** Extra environment (e.g. `TASKQ_TEST_ORDER_FILE`). */
  env?: Record<string, string>;
  /** Node name before `@%h`; default `taskq-<random>`. */
  nodeName?: string;
  /** How long `start` waits for "ready."; default 30 s. */
  readyTimeoutMs?: number;
  /** Celery's log level; default `info` (needed for the "ready." and "Task … received" lines). */
  logLevel?: 'debug' | 'info' | 'warning';
  /** Extra worker command-line arguments. */
  extraArgs?: string[];
  /** The solo pool runs one task at a time; concurrency is fixed at 1 so the prefetch window is exactly 1. */
  concurrency?: never;
}

const liveWorkers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveWorkers) child.kill('SIGKILL');
});

export class CeleryWorker {
  private output = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** `-n` argument, e.g. `taskq-1a2b3c4d@%h`. */
    readonly nodeName: string,
    readonly queues: readonly string[],
    /** The full command line, for error messages. */
    readonly command: string,
  ) {
    const append = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
      for (const listener of [...this.listeners]) listener();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        liveWorkers.delete(child);
        for (const listener of [...this.listeners]) listener();
        resolve();
      });
    });
    child.once('error', (err) => {
      this.output += `\n[harness] spawn error: ${err.message}\n`;
    });
  }

  /** Start a worker and resolve once it logged "<node>@<host> ready."; rejects with the log if it exits or times out. */
  static async start(options: CeleryWorkerOptions): Promise<CeleryWorker> {
    if (options.queues.length === 0) throw new Error('CeleryWorker.start: pass at least one queue');
    const nodeName = `${options.nodeName ?? `taskq-${randomUUID().slice(0, 8)}`}@%h`;
    const args = [
      '-m',
      'celery',
      '-A',
      'interop_app',
      'worker',
      '-Q',
      options.queues.join(','),
      '-P',
      'solo',
      '-c',
      '1',
      '--without-gossip',
      '--without-mingle',
      '--without-heartbeat',
      '-l',
      options.logLevel ?? 'info',
      '-n',
      nodeName,
      ...(options.extraArgs ?? []),
    ];
    const env = pythonEnv({
      TASKQ_TEST_BROKER: CELERY_BROKER_URL,
      TASKQ_TEST_BACKEND: options.backend ?? 'rpc://',
      TASKQ_TEST_RESULT_SERIALIZER: options.resultSerializer ?? 'json',
      TASKQ_TEST_QUEUE_MAX_PRIORITY: options.queueMaxPriority === null ? 'none' : String(options.queueMaxPriority ?? 10),
      ...options.env,
    });
    const child = spawn(PYTHON, args, { cwd: CELERY_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    liveWorkers.add(child);
    const worker = new CeleryWorker(child, nodeName, options.queues, `${PYTHON} ${args.join(' ')}`);
    const prefix = nodeName.slice(0, nodeName.indexOf('@') + 1);
    const ready = new RegExp(`${escapeRegExp(prefix)}\\S* ready\\.`);
    try {
      await worker.waitForLog(ready, options.readyTimeoutMs ?? 30_000);
    } catch (err) {
      await worker.stop();
      throw new Error(`Celery worker did not become ready: ${(err as Error).message}`);
    }
    return worker;
  }

  /** Everything the worker wrote to stdout and stderr so far. */
  get logs(): string {
    return this.output;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True while the process runs. */
  get running(): boolean {
    return this.exit === undefined;
  }

  /**
   * Wait until the log matches `pattern` (e.g. `new RegExp(\`Task py.add\\[${id}\\] succeeded\`)`);
   * rejects with the log when the worker exits first or after `timeoutMs`.
   */
  waitForLog(pattern: RegExp | string, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const regex = typeof pattern === 'string' ? new RegExp(escapeRegExp(pattern)) : pattern;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = this.output.match(regex);
        if (match) finish(() => resolve(match));
        else if (this.exit) {
          finish(() =>
            reject(new Error(`worker exited (code ${this.exit?.code}, signal ${this.exit?.signal}) before ${regex}\n${this.describe()}`)),
          );
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${regex}\n${this.describe()}`))),
        timeoutMs,
      );
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM (Celery's warm shutdown), then SIGKILL after `graceMs` (default 5 s). Idempotent. */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.exit) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!this.exit) this.child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    await this.exited;
  }

  private describe(): string {
    return `command: ${this.command}\n--- worker log ---\n${this.output}\n--- end of worker log ---`;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// Producer (client.py)
// ---------------------------------------------------------------------------------------------

/** Markers `client.py` turns into Python-native values (a dict with exactly this one key). */
export type PySpecial =
  | { $datetime: string }
  | { $date: string }
  | { $time: string }
  | { $decimal: string }
  | { $uuid: string }
  | { $bytes_b64: string }
  | { $tuple: PyValue[] }
  | { $float: 'nan' | 'inf' | '-inf' };

export type PyValue = null | boolean | number | string | PySpecial | PyValue[] | { [key: string]: PyValue };

/** `datetime.datetime.fromisoformat(iso)`; an offset makes it aware. */
export const pyDatetime = (iso: string): PySpecial => ({ $datetime: iso });
/** `datetime.date.fromisoformat('YYYY-MM-DD')`. */
export const pyDate = (iso: string): PySpecial => ({ $date: iso });
/** `datetime.time.fromisoformat('HH:MM:SS[.ffffff]')`. */
export const pyTime = (iso: string): PySpecial => ({ $time: iso });
/** `decimal.Decimal(text)`. */
export const pyDecimal = (text: string): PySpecial => ({ $decimal: text });
/** `uuid.UUID(text)`. */
export const pyUuid = (text: string): PySpecial => ({ $uuid: text });
/** Python `bytes`. */
export const pyBytes = (data: Uint8Array | string): PySpecial => ({
  $bytes_b64: Buffer.from(typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64'),
});
/** Python `tuple` (json/msgpack/yaml all deliver it to the task as a list). */
export const pyTuple = (...items: PyValue[]): PySpecial => ({ $tuple: items });
/** A float JSON cannot express. */
export const pyFloat = (value: 'nan' | 'inf' | '-inf'): PySpecial => ({ $float: value });

export type CelerySerializer = 'json' | 'msgpack' | 'yaml';

/** `app.send_task(name, …)`; see client.py for the exact mapping. */
export interface SendOp {
  op?: 'send';
  name: string;
  args?: PyValue[];
  kwargs?: Record<string, PyValue>;
  /** Celery routes by queue name: publishes to exchange '' with routing key = queue, after declaring queue + direct exchange + binding. */
  queue?: string;
  exchange?: string;
  routing_key?: string;
  serializer?: CelerySerializer;
  priority?: number;
  /** Seconds; Celery turns it into the `eta` header. */
  countdown?: number;
  /** ISO 8601. */
  eta?: string;
  /** Seconds from now, or ISO 8601; also sets the AMQP `expiration` property. */
  expires?: number | string;
  /** Merged into the message headers. */
  headers?: Record<string, PyValue>;
  task_id?: string;
  ignore_result?: boolean;
  time_limit?: number;
  soft_time_limit?: number;
  shadow?: string;
  /** Where the worker publishes the rpc result (default: the client's own reply queue). */
  reply_to?: string;
  /** `false`: declare nothing before publishing. */
  declare?: false;
  /** Wait for the result (`AsyncResult.get(timeout, propagate=False)`). */
  get?: boolean;
  /** Seconds for `get`, default 10. */
  timeout?: number;
  /** Report a failing send_task (e.g. kombu EncodeError) in `send_error` instead of failing the document. */
  expect_error?: boolean;
}

export interface InspectQueueOp {
  op: 'inspect_queue';
  queue: string;
}

export interface DeleteQueueOp {
  op: 'delete_queue';
  queue: string;
  /** Also delete the exchange of the same name (default true). */
  exchange?: boolean;
}

export interface SleepOp {
  op: 'sleep';
  seconds: number;
}

export type ClientOp = SendOp | InspectQueueOp | DeleteQueueOp | SleepOp;

export interface ClientDocument {
  /** Default {@link CELERY_BROKER_URL}. */
  broker?: string;
  /** Default `rpc://`. */
  backend?: string;
  /** `pipeline` (default): send everything, then collect results; `sequential`: collect right after each send. */
  mode?: 'pipeline' | 'sequential';
  /** Celery message protocol the producer sends: 2 (default) or 1 (Celery 3.x style). */
  task_protocol?: 1 | 2;
  /** x-expires (s) of the client's rpc reply queue; default 120. */
  reply_queue_expires?: number;
  ops: ClientOp[];
}

/** A value as client.py reports it: datetime → "datetime:<iso>", Decimal → "Decimal:1.10", bytes → "bytes:<base64>", … */
export type Tagged = null | boolean | number | string | Tagged[] | { [key: string]: Tagged };

export interface SendResult {
  op: 'send';
  /** The task id (null when `send_error` is set). */
  id: string | null;
  /** SUCCESS | FAILURE | … ; null without `get`; PENDING when timed out. */
  state: string | null;
  result: Tagged;
  exc_type: string | null;
  exc_module: string | null;
  exc_message: string | null;
  exc_args?: Tagged[];
  traceback: string | null;
  date_done: Tagged;
  timed_out: boolean | null;
  send_error?: { type: string; module: string; message: string };
}

export interface InspectQueueResult {
  op: 'inspect_queue';
  queue: string;
  exists: boolean;
  message_count?: number;
  consumer_count?: number;
  error?: string;
}

export interface DeleteQueueResult {
  op: 'delete_queue';
  queue: string;
  deleted_messages: number;
  exchange_deleted?: boolean;
}

export interface SleepResult {
  op: 'sleep';
  slept: number;
}

export type ClientResult = SendResult | InspectQueueResult | DeleteQueueResult | SleepResult;

/** What `py.echo` returns. */
export interface EchoResult {
  args: Tagged[];
  kwargs: Record<string, Tagged>;
  /** `type(a).__name__` per positional argument. */
  types: string[];
  kwarg_types: Record<string, string>;
  /** Type names recursing into lists and dicts. */
  deep_types: { args: Tagged[]; kwargs: Record<string, Tagged> };
  /** The task request: message headers (id, task, eta, expires, retries, origin, custom headers …), properties, delivery_info. */
  request: Record<string, Tagged>;
}

/** Narrow a result to a send result (throws otherwise). */
export function sendResult(result: ClientResult | undefined): SendResult {
  if (result?.op !== 'send') throw new Error(`expected a send result, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * Run `client.py` once with `doc` (batch many ops per call: each call costs ~0.3 s of Python
 * start-up). Resolves with one result per op; throws with client.py's error and stderr when it
 * exits non-zero or takes longer than `timeoutMs` (default 60 s).
 */
export function runCeleryClient(doc: ClientDocument, timeoutMs = 60_000): Promise<ClientResult[]> {
  const env = pythonEnv({ TASKQ_TEST_BROKER: CELERY_BROKER_URL });
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [path.join(CELERY_DIR, 'client.py')], { cwd: CELERY_DIR, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${PYTHON} client.py: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return reject(new Error(`client.py timed out after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
      let parsed: { results?: ClientResult[]; error?: string; traceback?: string } | undefined;
      try {
        parsed = JSON.parse(stdout) as typeof parsed;
      } catch {
        parsed = undefined;
      }
      if (code !== 0 || !parsed?.results) {
        const detail = parsed?.error ? `${parsed.error}\n${parsed.traceback ?? ''}` : `stdout: ${stdout}`;
        return reject(new Error(`client.py failed (exit ${code}${signal ? `, ${signal}` : ''}): ${detail}\nstderr: ${stderr}`));
      }
      resolve(parsed.results);
    });
    child.stdin.end(JSON.stringify(doc));
  });
}

/**
 * Delete what Celery declares for a queue it routed to or consumed: the queue and the direct
 * exchange of the same name. Takes any amqplib-like channel so this module needs no amqplib.
 */
export async function deleteCeleryQueue(
  channel: { deleteQueue(name: string): Promise<unknown>; deleteExchange(name: string): Promise<unknown> },
  queue: string,
): Promise<void> {
  await channel.deleteQueue(queue);
  await channel.deleteExchange(queue);
}
