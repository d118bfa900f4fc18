import { randomUUID } from 'node:crypto';
import { AsyncResult, createApp, every, silentLogger, slotTaskId, type TaskqApp } from '@taskq/core';
import { Beat } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CeleryWorker, describeWithCelery, REDIS_BACKEND_URL, uniqueCeleryQueue } from '../../../../test/celery/harness';

/** In-process beats against the broker: election, graceful handover, state kept in the broker, missed slots. */
describe('Beat', () => {
  const broker = new BrokerFixture();
  const apps: TaskqApp[] = [];
  const beats: Beat[] = [];

  afterEach(async () => {
    for (const beat of beats.splice(0)) await beat.stop();
    for (const app of apps.splice(0)) await app.close();
    await broker.cleanup();
  });

  function beatFor(name: string, queue: string, entry: Parameters<TaskqApp['schedule']>[1] | undefined = undefined): Beat {
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend: 'disabled' });
    apps.push(app);
    app.schedule('tick', entry ?? { schedule: every(1), task: 'beat.tick', options: { queue } });
    const beat = new Beat(app, { name, standbyPollMs: 200 });
    beats.push(beat);
    return beat;
  }

  /** Every slot sent to `queue` so far, with how often. */
  function sentSlots(queue: string): Promise<Map<string, number>> {
    return broker.countByHeader(queue, 'x-taskq-beat-slot');
  }

  function names(): { name: string; queue: string } {
    const name = `t-${randomUUID().slice(0, 8)}`;
    broker.queue(`taskq.beat.${name}.state`);
    return { name, queue: broker.queue(uniqueName('beat')) };
  }

  const once = (beat: Beat, event: 'leader' | 'standby'): Promise<void> => new Promise((resolve) => beat.once(event, () => resolve()));

  it('elects exactly one active beat; on a graceful stop a standby takes over at once and goes on from the last slot', async () => {
    const { name, queue } = names();
    const first = beatFor(name, queue);
    const second = beatFor(name, queue);
    const firstLeads = once(first, 'leader');
    await first.start();
    await firstLeads;
    await second.start();
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect([first.isLeader, second.isLeader]).toEqual([true, false]);

    const secondLeads = once(second, 'leader');
    const stoppedAt = Date.now();
    await first.stop();
    await secondLeads;
    expect(Date.now() - stoppedAt).toBeLessThan(1500);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    await second.stop();

    const perSlot = await sentSlots(queue);
    expect([...perSlot.values()].every((count) => count === 1)).toBe(true);
    const times = [...perSlot.keys()].map((slot) => Date.parse(slot)).sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(4);
    // Consecutive seconds: nothing skipped over the handover (the new leader continued after the last slot).
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(2000);
  }, 30_000);

  it('sends a deterministic task id per slot, with the entry and slot in the headers', async () => {
    const { name, queue } = names();
    const beat = beatFor(name, queue);
    const sent = new Promise<[string, Date, string]>((resolve) =>
      beat.once('sent', (entry, slot, taskId) => resolve([entry, slot, taskId])),
    );
    await beat.start();
    const [entry, slot, taskId] = await sent;
    await beat.stop();
    expect(entry).toBe('tick');
    expect(taskId).toBe(slotTaskId('tick', slot));
    const message = await broker.get(queue);
    expect(message ? message.properties.headers : 'queue empty').toMatchObject({
      id: taskId,
      task: 'beat.tick',
      'x-taskq-beat-entry': 'tick',
      'x-taskq-beat-slot': slot.toISOString(),
    });
  }, 20_000);

  it('after a pause, runs the latest missed slot once (run-latest) or none (skip)', async () => {
    for (const missed of ['run-latest', 'skip'] as const) {
      const { name, queue } = names();
      const first = beatFor(name, queue, { schedule: every(1), task: 'beat.tick', options: { queue }, missed });
      const sentOnce = new Promise<void>((resolve) => first.once('sent', () => resolve()));
      await first.start();
      await sentOnce;
      await first.stop();
      await sentSlots(queue); // empty the queue
      await new Promise((resolve) => setTimeout(resolve, 3500)); // three or four slots pass with no beat
      const second = beatFor(name, queue, { schedule: every(1), task: 'beat.tick', options: { queue }, missed });
      const skipped = new Promise<number>((resolve) => second.once('skipped', (_entry, slots) => resolve(slots)));
      await second.start();
      expect(await skipped).toBeGreaterThanOrEqual(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await second.stop();
      const slots = [...(await sentSlots(queue)).keys()].map((slot) => Date.parse(slot)).sort((a, b) => a - b);
      if (missed === 'skip') {
        // Nothing from the pause: only slots after the takeover.
        expect(slots.every((t) => t >= Date.now() - 1500)).toBe(true);
      } else {
        // The latest missed slot came first, then the regular ones.
        expect(slots.length).toBeGreaterThanOrEqual(1);
      }
    }
  }, 40_000);
});

/** taskq beat scheduling a task that a real Celery 5.2 worker runs (beat sends ordinary protocol v2 messages). */
describeWithCelery('Beat → Celery', () => {
  const broker = new BrokerFixture();
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    await broker.cleanup();
  });

  it('a Python Celery worker runs the task taskq beat sends, and its result is found under the slot task id', async () => {
    const q = uniqueCeleryQueue('beat-celery');
    broker.queue(q);
    broker.exchange(q);
    const name = `t-${randomUUID().slice(0, 8)}`;
    broker.queue(`taskq.beat.${name}.state`);
    const celery = await CeleryWorker.start({ queues: [q], backend: REDIS_BACKEND_URL });
    cleanup.push(() => celery.stop());
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend: REDIS_BACKEND_URL });
    cleanup.push(() => app.close());
    app.schedule('py-add', { schedule: every(1), task: 'py.add', args: [20, 22], options: { queue: q } });
    const beat = new Beat(app, { name });
    cleanup.push(() => beat.stop());
    const sent = new Promise<string>((resolve) => beat.once('sent', (_entry, _slot, taskId) => resolve(taskId)));
    await beat.start();
    const taskId = await sent;
    const result = new AsyncResult<number>(taskId, 'py.add', app.producer().results);
    await expect(result.get({ timeout: 20_000 })).resolves.toBe(42);
  }, 60_000);
});
