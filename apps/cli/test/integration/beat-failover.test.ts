import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, FIXTURES, killAll } from '../support/cli-process';

/**
 * Two `taskq beat` processes and one `every(1)` entry for about 20 s; the active one is killed with
 * SIGKILL half-way. Reads back every message beat sent and counts the sends of each slot: no slot
 * may be sent twice except the one in flight at the kill, and the standby must take over within 5 s.
 */
describe('taskq beat: two processes, the active one killed (SIGKILL)', () => {
  const broker = new BrokerFixture();
  const processes: CliProcess[] = [];
  afterEach(async () => {
    await killAll(processes);
    await broker.cleanup();
  });

  it('fails over within 5 s and sends no slot twice but the one in flight', async () => {
    const name = `t-${randomUUID().slice(0, 8)}`;
    const queue = broker.queue(uniqueName('beat-ha'));
    broker.queue(`taskq.beat.${name}.state`);
    const env = { BEAT_QUEUE: queue };
    const args = ['beat', '--app', join(FIXTURES, 'beat-tasks.ts'), '--name', name];
    const first = new CliProcess(args, env);
    processes.push(first);
    await first.waitFor('is the active beat');
    const second = new CliProcess(args, env);
    processes.push(second);
    await second.waitFor(`taskq beat '${name}' started`);

    await new Promise((resolve) => setTimeout(resolve, 10_000));
    first.child.kill('SIGKILL');
    const killedAt = Date.now();
    await second.waitFor('is the active beat', 10_000);
    const takeoverMs = Date.now() - killedAt;
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const perSlot = await broker.countByHeader(queue, 'x-taskq-beat-slot');
    const slots = [...perSlot.keys()].sort();
    const duplicates = [...perSlot.entries()].filter(([, count]) => count > 1);
    const times = slots.map((slot) => Date.parse(slot));
    let widestGapMs = 0;
    for (let i = 1; i < times.length; i++) widestGapMs = Math.max(widestGapMs, times[i]! - times[i - 1]!);
    // The figures the closing note reports.
    console.log(
      `beat failover: ${slots.length} slots sent over ${((times.at(-1)! - times[0]!) / 1000).toFixed(0)} s, ` +
        `${duplicates.length} sent twice (${duplicates.map(([slot]) => slot).join(', ') || 'none'}), ` +
        `standby active ${takeoverMs} ms after the kill, widest gap between slots ${widestGapMs} ms`,
    );
    expect(duplicates.length).toBeLessThanOrEqual(1);
    expect(takeoverMs).toBeLessThanOrEqual(5000);
    expect(slots.length).toBeGreaterThanOrEqual(15);
  }, 60_000);

  it('runs embedded in a worker (--beat): the worker runs the tasks its beat sends', async () => {
    const name = `t-${randomUUID().slice(0, 8)}`;
    const queue = broker.queue(uniqueName('beat-embedded'));
    broker.queue(`taskq.beat.${name}.state`);
    const worker = new CliProcess(['worker', '--app', join(FIXTURES, 'beat-tasks.ts'), '-Q', queue, '--beat', '--beat-name', name], {
      BEAT_QUEUE: queue,
    });
    processes.push(worker);
    await worker.waitFor('is the active beat');
    await worker.waitFor('Task beat.tick[');
    await worker.waitFor('succeeded');
    worker.child.kill('SIGTERM');
    expect((await worker.exited).code).toBe(0);
    expect(worker.stderr + worker.stdout).toContain(`taskq beat '${name}' stopped.`);
  }, 30_000);
});
