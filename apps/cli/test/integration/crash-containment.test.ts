import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, silentLogger, TaskFailedError, type TaskqApp } from '@taskq/core';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, FIXTURES, killAll } from '../support/cli-process';

/** A task that crashes its worker must not take the fleet down with it, nor the tasks beside it. */
describe('crash containment (taskq worker processes)', () => {
  const broker = new BrokerFixture();
  const processes: CliProcess[] = [];
  let dir: string;
  let record: string;
  let app: TaskqApp;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskq-crash-'));
    record = join(dir, 'runs.txt');
  });
  afterEach(async () => {
    await killAll(processes);
    await app?.close();
    await broker.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function worker(queue: string, dead: string, extra: string[] = [], env: Record<string, string> = {}): CliProcess {
    const cli = new CliProcess(
      [
        'worker',
        '--app',
        join(FIXTURES, 'crash-tasks.ts'),
        '--queue',
        queue,
        '--concurrency',
        '4',
        '--broker',
        BROKER_URL,
        '--loglevel',
        'info',
        ...extra,
      ],
      { CRASH_RECORD_FILE: record, CRASH_DEAD_LETTER_QUEUE: dead, ...env },
    );
    processes.push(cli);
    return cli;
  }

  function runs(task: string): number {
    if (!existsSync(record)) return 0;
    return readFileSync(record, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(`${task} `)).length;
  }

  it('fails a task that throws from a timer or leaves an unhandled rejection, and keeps serving', async () => {
    const queue = broker.queue(uniqueName('crash'));
    const dead = broker.queue(uniqueName('crash-dead'));
    app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    const cli = worker(queue, dead);
    await cli.waitFor('taskq worker ready');
    const timer = await app.sendTask('crash.timer', [], { queue });
    const rejecting = await app.sendTask('crash.reject', [], { queue });
    const ok = await app.sendTask('crash.ok', ['alive'], { queue });
    const timerError = (await timer.get({ timeout: 15_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(timerError).toBeInstanceOf(TaskFailedError);
    expect(timerError.message).toContain('thrown from a timer inside crash.timer');
    const rejectError = (await rejecting.get({ timeout: 15_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(rejectError).toBeInstanceOf(TaskFailedError);
    expect(rejectError.message).toContain('rejected and never handled in crash.reject');
    await expect(ok.get({ timeout: 15_000 })).resolves.toBe('alive');
    expect(cli.child.exitCode).toBeNull();
    expect(runs('crash.timer')).toBe(1);
    expect(runs('crash.reject')).toBe(1);
    // The result reaches us over the broker; the log line through a pipe: it can come a moment later.
    await cli.waitFor('raised an uncaught exception', 5_000);
    expect(cli.stdout + cli.stderr).toMatch(
      /Task crash\.timer\[[^\]]+\] raised an uncaught exception: it fails with that error; the worker keeps running/,
    );
  });

  it("ends only its thread when an isolate: 'thread' task calls process.exit(): the task fails once, the worker lives", async () => {
    const queue = broker.queue(uniqueName('crash-thread'));
    app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    const cli = worker(queue, broker.queue(uniqueName('crash-dead')));
    await cli.waitFor('taskq worker ready');
    const result = await app.sendTask('crash.exitInThread', [], { queue });
    const error = (await result.get({ timeout: 20_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error.message).toMatch(/thread exited/i);
    await expect((await app.sendTask('crash.ok', ['alive'], { queue })).get({ timeout: 15_000 })).resolves.toBe('alive');
    expect(cli.child.exitCode).toBeNull();
    expect(runs('crash.exitInThread')).toBe(1);
  });

  it('exits with code 1 on an uncaught exception from outside every task', async () => {
    const queue = broker.queue(uniqueName('crash-outside'));
    const cli = worker(queue, broker.queue(uniqueName('crash-dead')), [], { CRASH_OUTSIDE_MS: '1500' });
    await cli.waitFor('taskq worker ready');
    const { code } = await cli.exited;
    expect(code).toBe(1);
    expect(cli.stdout + cli.stderr).toMatch(/An uncaught exception outside any task: Error: thrown outside any task\. Exiting \(code 1\)/);
  });

  it('dead-letters a task that kills its worker after --max-redeliveries crashes; the tasks beside it finish after the restart', async () => {
    const queue = broker.queue(uniqueName('crash-poison'));
    const dead = broker.queue(uniqueName('crash-poison-dead'));
    app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    let current = worker(queue, dead, ['--max-redeliveries', '2']);
    await current.waitFor('taskq worker ready');
    let deaths = 0;
    // A supervisor: restart the worker whenever it dies (as systemd or Kubernetes would).
    let supervising = true;
    const supervisor = (async () => {
      while (supervising) {
        const died = await Promise.race([current.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
        if (died && supervising) {
          deaths++;
          current = worker(queue, dead, ['--max-redeliveries', '2']);
          await current.waitFor('taskq worker ready').catch(() => undefined);
        }
      }
    })();
    try {
      const beside = await Promise.all([1, 2, 3].map((i) => app.sendTask('crash.ok', [`beside-${i}`, 300], { queue })));
      await app.sendTask('crash.exit', [], { queue, taskId: 'poison-1', ignoreResult: true });
      try {
        for (const [i, result] of beside.entries()) await expect(result.get({ timeout: 20_000 })).resolves.toBe(`beside-${i + 1}`);
      } catch (e) {
        for (const p of processes) console.log(p.stdout + p.stderr);
        throw e;
      }
      await BrokerFixture.eventually(
        async () => (await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount === 1,
        'the poison task dead-lettered',
        60_000,
      );
      const letter = (await broker.get(dead))!;
      expect(letter.properties.headers!['x-taskq-reason']).toBe('worker-crash');
      expect(letter.properties.headers!['id']).toBe('poison-1');
      expect(String(letter.properties.headers!['x-taskq-error'])).toMatch(/came back from the broker 2 times without finishing/);
      expect(runs('crash.exit')).toBe(2);
      expect(deaths).toBe(2);
      await expect((await app.sendTask('crash.ok', ['after'], { queue })).get({ timeout: 15_000 })).resolves.toBe('after');
    } finally {
      supervising = false;
      await supervisor;
    }
  }, 120_000);
});
