import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The redis-server binary; override with TASKQ_REDIS_SERVER (a path). */
const BINARY = process.env['TASKQ_REDIS_SERVER'] ?? 'redis-server';
const HOST = '127.0.0.1';
/** How long a start (until PING is answered) or a stop (until the port is closed) may take. */
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;
/** Lines of the server's own output kept for error messages. */
const KEPT_OUTPUT_LINES = 40;

/** Options for {@link RedisServer.start}. */
export interface RedisServerOptions {
  /**
   * Require this password (`--requirepass`); {@link RedisServer.url} then carries it.
   * @defaultValue no password
   */
  password?: string;
  /**
   * The port to listen on.
   * @defaultValue a free port picked by the OS
   */
  port?: number;
  /** More `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[];
}

/** Every redis-server still running in this process, killed when the process exits (a crashed test). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * A disposable Redis for tests that stop, restart or freeze it: its own `redis-server` on a free
 * port of 127.0.0.1, in a temporary directory, without persistence (`--save "" --appendonly no`),
 * so a restart comes back empty. Never touches the shared Redis on port 6379.
 *
 * ```ts
 * let redis: RedisServer;
 * beforeAll(async () => { redis = await RedisServer.start(); });
 * afterAll(() => redis.dispose());
 * it('waits out an outage', async () => {
 *   await redis.stop();
 *   // … the code under test sees ECONNREFUSED …
 *   await redis.startAgain();
 * });
 * ```
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly output: string[] = [];
  private disposed = false;

  private constructor(
    /** The port the server listens on (the same across {@link stop} and {@link startAgain}). */
    readonly port: number,
    private readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  /**
   * Start a new server and wait until it answers PING.
   * @throws when `redis-server` is missing or does not answer within 10 s (with its last output).
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await freePort());
    const server = new RedisServer(port, mkdtempSync(join(tmpdir(), 'taskq-redis-')), options);
    try {
      await server.startAgain();
    } catch (err) {
      await server.dispose();
      throw err;
    }
    return server;
  }

  /** The host the server listens on. */
  get host(): string {
    return HOST;
  }

  /** `redis://[:password@]127.0.0.1:PORT/0`, with the password when one was set. */
  get url(): string {
    const auth = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}@`;
    return `redis://${auth}${HOST}:${this.port}/0`;
  }

  /** True while the server process runs (also while it is {@link pause}d). */
  get isRunning(): boolean {
    return this.child !== undefined;
  }

  /**
   * Start the server (again) on the same port, and wait until it answers PING. Starting a running
   * server does nothing. Data does not survive a stop: the server comes back empty.
   */
  async startAgain(): Promise<void> {
    if (this.disposed) throw new Error(`RedisServer on port ${this.port} was disposed`);
    if (this.child) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      HOST,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...(this.options.password === undefined ? [] : ['--requirepass', this.options.password]),
      ...(this.options.args ?? []),
    ];
    const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    running.add(child);
    installExitHook();
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
      this.output.splice(0, Math.max(0, this.output.length - KEPT_OUTPUT_LINES));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    this.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        resolve();
      });
      child.once('exit', () => resolve());
    }).then(() => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!(await answersPing(this.port))) {
      if (this.child !== child || Date.now() > deadline) {
        await this.kill();
        const reason = spawnError ? `could not run '${BINARY}' (${spawnError.message})` : 'it did not answer PING in time';
        throw new Error(`redis-server on port ${this.port} did not start: ${reason}. Its output:\n${this.output.join('\n')}`);
      }
      await sleep(50);
    }
  }

  /** {@link stop}, then {@link startAgain}: a fresh, empty server on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.startAgain();
  }

  /**
   * Stop the server as an outage would look to clients (their connections drop, new ones are
   * refused): SIGTERM, then wait until the process exited and the port is closed. Stopping a
   * stopped server does nothing.
   */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT'); // a paused server cannot act on SIGTERM
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.exited.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (!stopped) await this.kill();
    await waitUntilClosed(this.port);
  }

  /**
   * Freeze the server (SIGSTOP): connections stay open but nothing is answered, like a hung or
   * partitioned Redis. {@link resume} lets it go on; {@link stop} and {@link dispose} work too.
   */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Let a {@link pause}d server answer again (SIGCONT). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /**
   * Kill the server for sure (SIGKILL) and delete its directory. Safe to call twice, and on a
   * stopped server; call it in `afterAll`.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's last lines of output, for a failing test's message. */
  get recentOutput(): string {
    return this.output.join('\n');
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }
}

/** The last resort (synchronous) when the test process exits with servers still running. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** A port that was free a moment ago (the OS picks it; a race with other processes is unlikely). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** True when something on `port` answers a PING (`+PONG`, or `-NOAUTH` when a password is set). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    const done = (answered: boolean): void => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

async function waitUntilClosed(port: number): Promise<void> {
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (await portOpen(port)) {
    if (Date.now() > deadline) throw new Error(`port ${port} is still open ${STOP_TIMEOUT_MS} ms after stopping redis-server`);
    await sleep(50);
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
