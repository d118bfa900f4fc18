import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadRoutingConfigSync } from '@taskq/core';
import { BrokerFixture } from '../support/broker';
import { fencedBlocks, firstMissingLine, section, type FencedBlock } from './markdown-blocks';

const ROOT = join(__dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'quickstart');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** The tutorial's steps; "Other ways to start" (Docker, another project) is not run here. */
const TUTORIAL = section(README, '## Tutorial (five minutes)').split('\n### Other ways to start')[0]!;
const BLOCKS = fencedBlocks(TUTORIAL);
/** The command the tutorial leaves running in its own terminal; every other one runs to completion. */
const WORKER_COMMAND = 'pnpm worker';
/** A quoted file starts with a comment naming it: `// examples/quickstart/tasks.ts`. */
const FILE_MARKER = /^(?:\/\/|#) (examples\/quickstart\/\S+)\n/;
/** The tutorial's queue names are fixed: concurrent runs of this test on one broker take turns. */
const LOCK_QUEUE = 'taskq.test.readme-tutorial.lock';
const WARNING = /\bwarn(ing)?\b/i;

interface Command {
  line: string;
  cwd: string;
}

/** Every command of the tutorial's `sh` blocks, in order; each block is a new terminal at the clone's root. */
function tutorialCommands(): Command[] {
  return BLOCKS.filter((block) => block.lang === 'sh').flatMap((block) => {
    let cwd = ROOT;
    const commands: Command[] = [];
    for (const raw of block.body.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      const cd = /^cd (\S+)$/.exec(line);
      if (cd) cwd = resolve(cwd, cd[1]!);
      else if (line) commands.push({ line, cwd });
    }
    return commands;
  });
}

/** The output blocks (```text title="…") that show what `command` prints. */
function expectedOutputs(command: Command, commands: Command[]): string[] {
  return outputBlocks()
    .filter(({ title }) => commands.find((c) => c.line.includes(title)) === command)
    .map(({ block }) => block.body);
}

function outputBlocks(): { title: string; block: FencedBlock }[] {
  return BLOCKS.flatMap((block) => {
    const title = /title="([^"]+)"/.exec(block.meta)?.[1];
    return block.lang === 'text' && title ? [{ title, block }] : [];
  });
}

/** A shell command started the way a terminal would, in a process group of its own (for cleanup). */
class Terminal {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly command: Command) {
    this.child = spawn(command.line, {
      cwd: command.cwd,
      shell: true,
      detached: true,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((done) => this.child.on('exit', (code, signal) => done({ code, signal })));
  }

  async waitFor(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`'${this.command.line}' did not print '${text}' (exit code ${this.child.exitCode}). Output:\n${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The process at the end of the chain pnpm → sh → node: the program the command started. */
  program(): number {
    const children = new Map<number, number[]>();
    for (const line of spawnSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout.trim().split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number) as [number, number];
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
    }
    let pid = this.child.pid!;
    for (let next = children.get(pid); next?.length === 1; next = children.get(pid)) pid = next[0]!;
    if (children.get(pid)?.length)
      throw new Error(`'${this.command.line}' started more than one process; cannot tell which is the program.`);
    return pid;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) process.kill(-this.child.pid!, 'SIGKILL');
  }
}

function expectOutput(command: Command, expected: string, actual: string): void {
  const missing = firstMissingLine(expected, actual);
  if (missing !== undefined) {
    throw new Error(`'${command.line}' did not print the README's line\n  ${missing}\nIt printed:\n${actual}`);
  }
}

describe('the README tutorial (examples/quickstart)', () => {
  it('quotes every file of examples/quickstart verbatim', () => {
    const quoted = new Map<string, string>();
    for (const block of BLOCKS) {
      const marker = FILE_MARKER.exec(block.body);
      if (marker) quoted.set(marker[1]!, block.body.slice(marker[0].length));
    }
    const files = ['tasks.ts', 'send.ts', ...readdirSync(join(EXAMPLE, 'routes')).map((name) => `routes/${name}`)];
    expect([...quoted.keys()].sort()).toEqual(files.map((file) => `examples/quickstart/${file}`).sort());
    for (const [path, body] of quoted) expect({ path, body }).toEqual({ path, body: readFileSync(join(ROOT, path), 'utf8').trimEnd() });
  });

  it('names the package scripts as they are', () => {
    const { scripts } = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(TUTORIAL).toContain(`\`${scripts['worker']}\``);
    expect(TUTORIAL).toContain(`\`${scripts['send']}\``);
    const commands = tutorialCommands();
    expect(commands).toContainEqual({ line: WORKER_COMMAND, cwd: EXAMPLE });
    expect(commands).toContainEqual({ line: 'pnpm send', cwd: EXAMPLE });
    for (const { title } of outputBlocks()) expect(commands.filter((c) => c.line.includes(title))).toHaveLength(1);
  });

  describe('run as written', () => {
    const broker = new BrokerFixture();
    const terminals: Terminal[] = [];
    const deleteTopology = async (): Promise<void> => {
      // Everything the routing files declare, so each run starts and ends with none of it.
      const config = loadRoutingConfigSync(join(EXAMPLE, 'routes'));
      const queues = [...config.queues.map((route) => route.queue.name), config.defaults.defaultQueue];
      const exchanges = config.queues.flatMap(({ queue }) => [queue.exchange?.name ?? '', queue.deadLetter?.exchange ?? '']);
      for (const queue of queues) await broker.withChannel((ch) => ch.deleteQueue(broker.queue(queue)));
      for (const exchange of new Set(exchanges.filter(Boolean)))
        await broker.withChannel((ch) => ch.deleteExchange(broker.exchange(exchange)));
    };

    beforeAll(async () => {
      const deadline = Date.now() + 60_000;
      const connection = await broker.conn();
      for (;;) {
        // An exclusive queue is held until this connection closes (broker.cleanup()); another holder's makes this throw.
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        const locked = await channel.assertQueue(LOCK_QUEUE, { exclusive: true, autoDelete: true }).then(
          () => true,
          () => false,
        );
        if (locked) break;
        if (Date.now() > deadline) throw new Error(`Another run of this test held '${LOCK_QUEUE}' for 60 s.`);
        await new Promise((r) => setTimeout(r, 250));
      }
      await deleteTopology();
    }, 90_000);

    afterAll(async () => {
      for (const terminal of terminals) terminal.kill();
      await Promise.all(terminals.map((terminal) => terminal.exited));
      await deleteTopology().catch(() => undefined);
      await broker.cleanup();
    });

    it('routes, starts a worker, sends tasks with the results shown, warns about nothing, and the worker stops with exit 0', async () => {
      const commands = tutorialCommands();
      let worker: Terminal | undefined;
      for (const command of commands) {
        const terminal = new Terminal(command);
        terminals.push(terminal);
        if (command.line === WORKER_COMMAND) {
          worker = terminal;
          await worker.waitFor('taskq worker ready');
          continue;
        }
        const { code } = await terminal.exited;
        if (code !== 0) throw new Error(`'${command.line}' in ${command.cwd} exited with ${code}:\n${terminal.output}`);
        for (const expected of expectedOutputs(command, commands)) expectOutput(command, expected, terminal.output);
        expect(terminal.output.split('\n').filter((line) => WARNING.test(line))).toEqual([]);
      }
      if (!worker) throw new Error(`The tutorial never runs '${WORKER_COMMAND}'.`);
      const running = worker;

      // The fire-and-forget task may still be running: wait until everything the README shows was logged.
      const shown = expectedOutputs(running.command, commands);
      const allShown = (): boolean => shown.every((expected) => firstMissingLine(expected, running.output) === undefined);
      await BrokerFixture.eventually(allShown, 'the worker lines the README shows', 10_000).catch(() => undefined);
      for (const expected of shown) expectOutput(running.command, expected, running.output);

      // SIGTERM to the worker itself, as a supervisor sends it; pnpm and its shell pass its exit code on.
      process.kill(running.program(), 'SIGTERM');
      expect((await running.exited).code).toBe(0);
      expect(running.output).toContain('Worker stopped.');
      expect(running.output.split('\n').filter((line) => WARNING.test(line))).toEqual([]);
    }, 90_000);

    it("runs the quickstart's periodic tasks as the Periodic tasks section says: pnpm schedule, then pnpm beat", async () => {
      const periodic = section(README, '## Periodic tasks');
      expect(periodic).toContain('`cd examples/quickstart && pnpm schedule`');
      expect(periodic).toContain('`pnpm beat`');
      broker.queue('taskq.beat.default.state'); // beat's state on the broker: removed with the rest
      const schedule = new Terminal({ line: 'pnpm schedule', cwd: EXAMPLE });
      terminals.push(schedule);
      expect((await schedule.exited).code).toBe(0);
      expect(schedule.output).toContain('add-every-ten-seconds → tasks.add');
      expect(schedule.output).toContain("schedule: cron '0 3 * * *' (Europe/Berlin)");
      const beat = new Terminal({ line: 'pnpm beat', cwd: EXAMPLE });
      terminals.push(beat);
      await beat.waitFor("beat 'default' is the active beat.");
      await beat.waitFor("sent 'add-every-ten-seconds' (tasks.add)", 20_000);
      process.kill(beat.program(), 'SIGTERM');
      expect((await beat.exited).code).toBe(0);
      expect(beat.output).toContain("taskq beat 'default' stopped.");
      expect(beat.output.split('\n').filter((line) => WARNING.test(line))).toEqual([]);
    }, 60_000);
  });
});
