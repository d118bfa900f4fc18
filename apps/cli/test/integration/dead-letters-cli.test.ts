import { join } from 'node:path';
import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, killAll, FIXTURES, runCli } from '../support/cli-process';

const TASKS_TS = join(FIXTURES, 'tasks.ts');
const NO_STACK = /^\s+at /m;

/** `taskq dead-letters` (alias `dlq`) as a real process against the real broker. */
describe('taskq dead-letters', () => {
  const broker = new BrokerFixture();
  const processes: CliProcess[] = [];
  const apps: TaskqApp[] = [];
  let queue: string;
  let dead: string;
  let ids: string[];

  const dlq = (...args: string[]) => runCli(['dead-letters', ...args, '--queue', dead, '--broker', BROKER_URL]);

  /** Three dead letters in the test's own dead-letter queue: two unknown tasks, one unreadable message. */
  beforeEach(async () => {
    queue = broker.queue(uniqueName('cli-dl'));
    dead = broker.queue(uniqueName('cli-dlq'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, deadLetterQueue: dead });
    apps.push(app);
    const worker = new Worker(app, { queues: [queue], concurrency: 1, drainTimeoutMs: 1000 }); // knows no task: cli.add is unknown here
    await worker.start();
    ids = [];
    for (const args of [
      [2, 3],
      [20, 22],
    ])
      ids.push((await app.sendTask('cli.add', args, { queue, ignoreResult: true })).id);
    await broker.withChannel(async (ch) => {
      ch.sendToQueue(queue, Buffer.from('{not json'), { contentType: 'application/json', headers: { task: 'cli.add', id: 'garbled-1' } });
    });
    await BrokerFixture.eventually(
      async () => (await broker.counts(dead).catch(() => ({ messageCount: 0 }))).messageCount === 3,
      'three dead letters',
    );
    await worker.stop();
  });

  afterEach(async () => {
    await killAll(processes);
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
  });

  it('list: a table of id, task, reason, original queue, attempts and time, leaving the queue as it was', async () => {
    const { code, stdout, stderr } = await dlq('list');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+TASK\s+REASON\s+ORIGINAL QUEUE\s+ATTEMPTS\s+DEAD-LETTERED AT$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${ids[0]}\\s+cli\\.add\\s+unknown-task\\s+${queue.replace(/\./g, '\\.')}\\s+1\\s+\\d{4}-\\d\\d-\\d\\dT`),
    );
    expect(lines[2]).toMatch(new RegExp(`^${ids[1]}\\s+cli\\.add\\s+unknown-task\\s`));
    expect(lines[3]).toMatch(/^garbled-1\s+cli\.add\s+malformed\s/);
    expect(lines[4]).toBe(`3 dead letters in '${dead}' (showing all). Details: taskq dead-letters inspect <id>`);
    expect((await broker.counts(dead)).messageCount).toBe(3); // nothing removed
    const again = await dlq('list'); // and in the same order
    expect(again.stdout).toBe(stdout);
  });

  it('list --limit shows the first n and says how many there are; `dlq` is an alias', async () => {
    const { code, stdout } = await runCli(['dlq', 'list', '--limit', '1', '--queue', dead, '--broker', BROKER_URL]);
    expect(code).toBe(0);
    expect(stdout).toContain(ids[0]);
    expect(stdout).not.toContain(ids[1]);
    expect(stdout).toContain(`3 dead letters in '${dead}' (showing the first 1; --limit to see more)`);
  });

  it('inspect: the note, the properties, every header and the decoded body', async () => {
    const { code, stdout } = await dlq('inspect', ids[1]!);
    expect(code).toBe(0);
    expect(stdout).toContain(`Dead letter ${ids[1]} in '${dead}'`);
    expect(stdout).toMatch(/reason: +unknown-task/);
    expect(stdout).toMatch(/error: +NotRegisteredError: No task named 'cli\.add'/);
    expect(stdout).toContain(`original queue:   ${queue}`);
    expect(stdout).toContain('content-type: application/json');
    expect(stdout).toContain("  task: 'cli.add'");
    expect(stdout).toContain('  retries: 0');
    expect(stdout).toContain('  args:   [ 20, 22 ]');
    expect(stdout).toContain('  kwargs: {}');
    const garbled = await dlq('inspect', 'garbled-1');
    expect(garbled.stdout).toMatch(/\(not decoded: .*\)\n {2}\{not json/);
  });

  it('inspect of an unknown id: one line, exit 1', async () => {
    const { code, stderr } = await dlq('inspect', 'no-such-id');
    expect(code).toBe(1);
    expect(stderr.trim()).toBe(`taskq: error: No dead letter for task 'no-such-id' in '${dead}'.`);
  });

  it('replay: back to the original queue, where a worker that knows the task runs it; the dead copy is removed', async () => {
    const worker = new CliProcess(['worker', '--app', TASKS_TS, '--queue', queue, '--broker', BROKER_URL]);
    processes.push(worker);
    await worker.waitFor('taskq worker ready');
    const { code, stdout } = await dlq('replay', ids[1]!);
    expect(code).toBe(0);
    expect(stdout).toContain(`Replayed ${ids[1]} (cli.add) to queue '${queue}'.`);
    await worker.waitFor(`Task cli.add[${ids[1]}] succeeded`);
    expect(worker.stderr).toMatch(new RegExp(`Task cli\\.add\\[${ids[1]}\\] succeeded in [\\d.]+s: 42`));
    expect((await broker.counts(dead)).messageCount).toBe(2);
    const listed = await dlq('list');
    expect(listed.stdout).not.toContain(ids[1]);
    expect(listed.stdout).toContain(ids[0]);
  });

  it('replay --all; a missing id is reported with exit 1 and the rest still replayed', async () => {
    const partial = await dlq('replay', ids[0]!, 'missing-id');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain(`taskq: no dead letter for task 'missing-id' in '${dead}'.`);
    expect(partial.stdout).toContain('Replayed 1 dead letter from');
    const all = await dlq('replay', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`Replayed 2 dead letters from '${dead}'.`);
    expect((await broker.counts(dead)).messageCount).toBe(0);
    expect((await broker.counts(queue)).messageCount).toBe(3); // all back where they came from
  });

  it('purge refuses without --yes, then deletes and counts', async () => {
    const refused = await dlq('purge');
    expect(refused.code).toBe(2); // a command line missing --yes is a usage error
    expect(refused.stderr.trim()).toBe(
      `taskq: error: Refusing to purge: this deletes all 3 dead letters in '${dead}' for good. Run again with --yes.`,
    );
    expect((await broker.counts(dead)).messageCount).toBe(3);
    const purged = await dlq('purge', '--yes');
    expect(purged.code).toBe(0);
    expect(purged.stdout.trim()).toBe(`Purged 3 dead letters from '${dead}'.`);
    expect((await broker.counts(dead)).messageCount).toBe(0);
  });

  it.each([
    [['list', '--queue', 'test.no-such-dlq'], 1, /^taskq: error: There is no queue 'test\.no-such-dlq' on the broker/],
    [['list', '--limit', 'lots'], 2, /^taskq: error: option '--limit <n>' argument 'lots' is invalid\. Expected a whole number ≥ 1\.\n/],
    [['replay'], 2, /^taskq: error: Name the task ids to replay/],
    [['replay', 'some-id', '--all'], 2, /^taskq: error: Pass task ids or --all, not both\./],
    [['inspect'], 2, /missing required argument 'task-id'/],
    [['list', '--broker', 'amqp://admin:s3cret-pw@127.0.0.1:1'], 1, /Cannot connect to RabbitMQ at amqp:\/\/admin:\*\*\*\*@127\.0\.0\.1:1/],
    // The --tls-* flags reach the connection: the CA file is read (and refused) before any socket opens.
    [['list', '--broker', 'amqps://admin:s3cret-pw@127.0.0.1:1', '--tls-ca', '/nonexistent/ca.pem'], 1, /\/nonexistent\/ca\.pem/],
  ])('refuses %j with exit %i in one line', async (args, expectedCode, message) => {
    const { code, stderr } = await runCli(['dead-letters', ...args, ...(args.includes('--broker') ? [] : ['--broker', BROKER_URL])]);
    expect(code).toBe(expectedCode);
    expect(stderr).toMatch(message);
    expect(stderr).not.toContain('s3cret-pw');
    expect(stderr).not.toMatch(NO_STACK);
  });
});
