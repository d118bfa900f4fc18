import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, killAll, FIXTURES, runCli } from '../support/cli-process';

const TASKS_TS = join(FIXTURES, 'tasks.ts');
const NO_STACK = /^\s+at /m;

describe('taskq CLI as a process', () => {
  const broker = new BrokerFixture();
  const processes: CliProcess[] = [];
  const apps: TaskqApp[] = [];
  const producer = (): TaskqApp => {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
    apps.push(app);
    return app;
  };
  const worker = (queue: string, extra: string[] = []): CliProcess => {
    const cli = new CliProcess(['worker', '--app', TASKS_TS, '--queue', queue, '--broker', BROKER_URL, ...extra]);
    processes.push(cli);
    return cli;
  };

  afterEach(async () => {
    await killAll(processes);
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
  });

  it('runs tasks from a TypeScript module, prints a banner with the password masked, and stops on SIGTERM with exit 0', async () => {
    const queue = broker.queue(uniqueName('cli'));
    const cli = worker(queue, ['--concurrency', '3']);
    await cli.waitFor('taskq worker ready');
    expect(cli.stderr).toContain('broker:      amqp://guest:****@127.0.0.1:5672');
    expect(cli.stderr).toContain(`queues:      ${queue} (max priority 10)`);
    expect(cli.stderr).toContain('concurrency: 3 (prefetch 3)');
    expect(cli.stderr).toContain('results:     rpc://');
    expect(cli.stderr).toMatch(/tasks \(2\): cli\.add, cli\.sleep/);
    expect(cli.stderr).not.toContain('guest:guest');

    const app = producer();
    const result = await app.sendTask('cli.add', [20, 22], { queue });
    await expect(result.get({ timeout: 15_000 })).resolves.toBe(42);
    await cli.waitFor(`Task cli.add[${result.id}] succeeded`);

    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(cli.stderr).toContain('Worker stopped.');
  });

  it('finishes the running task on SIGTERM before exiting 0', async () => {
    const queue = broker.queue(uniqueName('drain'));
    const cli = worker(queue, ['--concurrency', '1', '--loglevel', 'debug']);
    await cli.waitFor('taskq worker ready');
    const app = producer();
    const result = await app.sendTask('cli.sleep', [800], { queue });
    await cli.waitFor(`Task cli.sleep[${result.id}] received`);
    cli.child.kill('SIGTERM');
    await expect(result.get({ timeout: 15_000 })).resolves.toMatchObject({ redelivered: false });
    expect((await cli.exited).code).toBe(0);
    expect((await broker.counts(queue)).messageCount).toBe(0);
  });

  it('redelivers a task whose worker was killed with SIGKILL mid-run, flagged as a redelivery', async () => {
    const queue = broker.queue(uniqueName('kill'));
    const first = worker(queue, ['--concurrency', '1', '--loglevel', 'debug']);
    await first.waitFor('taskq worker ready');
    const app = producer();
    const result = await app.sendTask('cli.sleep', [1500], { queue });
    await first.waitFor(`Task cli.sleep[${result.id}] received`);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = worker(queue, ['--concurrency', '1']);
    const value = (await result.get({ timeout: 20_000 })) as { pid: number; redelivered: boolean };
    expect(value.pid).toBe(second.child.pid);
    expect(value.redelivered).toBe(true);
  });

  it('exits 1 with one clear line when the Redis result backend is unreachable at start', async () => {
    const { code, stderr } = await runCli([
      'worker',
      '--app',
      TASKS_TS,
      '--broker',
      BROKER_URL,
      '--result-backend',
      'redis://:redis-secret@127.0.0.1:1/0',
    ]);
    expect(code).toBe(1);
    const lines = stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('taskq:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Cannot reach the Redis result backend at redis:\/\/:\*\*\*\*@127\.0\.0\.1:1\/0/);
    expect(stderr).not.toContain('redis-secret');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('reports every problem in invalid routing files at once, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-cli-config-'));
    try {
      writeFileSync(join(dir, 'high.yaml'), 'maxPriorty: 5\ntasks: [a]\n');
      writeFileSync(join(dir, 'low.yaml'), 'maxPriority: 300\n');
      const { code, stderr } = await runCli(['worker', '--app', TASKS_TS, '--config', dir, '--broker', BROKER_URL]);
      expect(code).toBe(1);
      expect(stderr).toContain('Invalid taskq configuration, 2 problems');
      expect(stderr).toContain(join(dir, 'high.yaml'));
      expect(stderr).toContain("did you mean 'maxPriority'");
      expect(stderr).toContain(join(dir, 'low.yaml'));
      expect(stderr).not.toMatch(NO_STACK);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says the broker is unreachable in one line, with the password masked', async () => {
    const { code, stderr } = await runCli(['worker', '--app', TASKS_TS, '--broker', 'amqp://admin:hunter2-secret@127.0.0.1:1']);
    expect(code).toBe(1);
    expect(stderr).toContain('Cannot connect to RabbitMQ at amqp://admin:****@127.0.0.1:1: connection refused');
    expect(stderr).not.toContain('hunter2-secret');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('says the login was refused in one line when the password is wrong, without the password', async () => {
    const { code, stderr } = await runCli(['worker', '--app', TASKS_TS, '--broker', 'amqp://guest:not-the-pw@127.0.0.1:5672']);
    expect(code).toBe(1);
    expect(stderr).toContain('refused the login');
    expect(stderr).not.toContain('not-the-pw');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it.each([
    // Exit 2: the command line is wrong (commander's usage errors and bad option values alike).
    [
      ['worker', '--app', TASKS_TS, '--concurrency', 'many'],
      2,
      /^taskq: error: option '-c, --concurrency <n>' argument 'many' is invalid\. Expected a whole number ≥ 1\./,
    ],
    [['worker', '--app', TASKS_TS, '--time-limit', '0'], 2, /option '--time-limit <seconds>' argument '0' is invalid/],
    [['worker', '--app', TASKS_TS, '--no-such-flag'], 2, /^taskq: error: unknown option '--no-such-flag'/],
    [['worker', '--app', TASKS_TS, '--broker', 'redis://localhost'], 1, /Unsupported broker URL scheme 'redis:'/],
    [['worker', '--app', TASKS_TS, '--result-backend', 'mongodb://u:pw-secret@h'], 1, /Unknown result backend 'mongodb:\/\/u:\*\*\*\*@h'/],
    [['worker', '--app', join(FIXTURES, 'missing.ts')], 1, /Tasks module '.*missing\.ts' not found/],
    [['worker', '--app', join(FIXTURES, 'not-an-app.js')], 1, /does not export a taskq app \(it exports: hello\)/],
    [['worker'], 2, /^taskq: error: required option '-A, --app <module>' not specified/],
    [['worker', '--app', TASKS_TS, '--loglevel', 'loud'], 2, /Allowed choices are debug, info, warn, error, silent/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
  ])('refuses bad input %j with exit %i and a clear message', async (args, expectedCode, message) => {
    const { code, stderr } = await runCli(args);
    expect(code).toBe(expectedCode);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('refuses memory:// for a worker process, saying where the in-process broker belongs (exit 1)', async () => {
    const { code, stderr } = await runCli(['worker', '--app', TASKS_TS, '--broker', 'memory://']);
    expect(code).toBe(1);
    expect(stderr).toContain('the in-process broker for tests: a taskq worker process would consume its own empty copy');
    expect(stderr).toContain('new Worker(app) from @taskq/worker');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('names a virtual host that does not exist, with how to create it, in one line (exit 1)', async () => {
    const { code, stderr } = await runCli(['worker', '--app', TASKS_TS, '--broker', 'amqp://guest:guest@127.0.0.1:5672/no%2Fsuch-vhost']);
    expect(code).toBe(1);
    const errors = stderr.split('\n').filter((line) => line.startsWith('taskq:'));
    expect(errors).toEqual([
      "taskq: error: RabbitMQ at amqp://guest:****@127.0.0.1:5672/no%2Fsuch-vhost refused virtual host 'no/such-vhost' " +
        "(530 NOT_ALLOWED - vhost no/such-vhost not found): it does not exist, or user 'guest' is not permitted on it. " +
        'Create it with \'rabbitmqctl add_vhost no/such-vhost\' and \'rabbitmqctl set_permissions -p no/such-vhost guest ".*" ".*" ".*"\', ' +
        "or fix the vhost in the broker URL (the path after host:port; leave it out for the default vhost '/').",
    ]);
    expect(stderr).not.toContain('ConnectionOpenOk');
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('warns at start about a queue that is a near miss of one in the routing files, and not about the right one', async () => {
    const base = uniqueName('near');
    const [defined, typed] = [broker.queue(`${base}-q`), broker.queue(`${base}_q`)];
    const dir = mkdtempSync(join(tmpdir(), 'taskq-cli-near-'));
    try {
      writeFileSync(join(dir, `${defined}.yaml`), 'tasks: [cli.add]\n');
      const wrong = worker(typed, ['--config', dir]);
      await wrong.waitFor('taskq worker ready');
      await wrong.waitFor(`Queue '${typed}' is not defined in the routing files and no task routes to it; did you mean '${defined}'?`);
      const right = worker(defined, ['--config', dir]);
      await right.waitFor('taskq worker ready');
      expect(right.stderr).not.toContain('is not defined in the routing files');
      // Without routing files, the default queue and any deliberate queue name stay silent.
      const plain = worker(broker.queue(uniqueName('plain')));
      await plain.waitFor('taskq worker ready');
      expect(plain.stderr).not.toContain('WARN');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('`taskq worker --help` marks --app as required', async () => {
    const { code, stdout } = await runCli(['worker', '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: taskq worker --app <module> [options]');
    expect(stdout).toMatch(/-A, --app <module>\s+\(required\)/);
  });

  it('`taskq routes` shows where a task goes and why, without a broker', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-cli-routes-'));
    try {
      writeFileSync(
        join(dir, 'reports.yaml'),
        'exchange: media\nexchangeType: topic\nbindingKeys: [reports.#]\nroutingKey: reports.pdf\ntasks: ["reports.*"]\n',
      );
      const { code, stdout } = await runCli(['routes', 'reports.monthly', 'other.task', '--config', dir], {
        TASKQ_BROKER_URL: 'amqp://nobody@127.0.0.1:1',
      });
      expect(code).toBe(0);
      expect(stdout).toContain(
        'reports.monthly\n  exchange:    media (topic)\n  routing key: reports.pdf\n  queue:       reports (classic, max priority 10), durable',
      );
      expect(stdout).toMatch(/why:\s+.*reports\.\*.*reports\.yaml/);
      expect(stdout).toContain("other.task\n  exchange:    '' (default exchange)\n  routing key: celery");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
