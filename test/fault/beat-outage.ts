import { createApp, every, type TaskqApp } from '@taskq/core';
import { Beat } from '@taskq/worker';
import { randomUUID } from 'node:crypto';
import { BROKER_URL, type BrokerFixture, uniqueName } from '../support/broker';
import { rabbitmq } from './broker-control';
import { reconnectLogger } from './counting-logger';
import type { FaultFigures } from './fault-report';

/** What a beat outage run saw. */
export interface BeatOutageRun {
  figures: FaultFigures;
  /** Slots before the stop or after the restart that were never sent: must be 0. */
  missingOutside: string[];
  /** Slots sent more than once (only the one in flight at the stop may be). */
  duplicates: string[];
  /** Seconds from the broker being back to the first slot sent after it. */
  resumeSeconds: number;
}

/**
 * Two in-process beats (one active) with an `every(1)` entry; RabbitMQ is stopped for `outageMs`
 * and started again. Every slot before the stop and after the restart must be sent exactly once;
 * of the slots that fell in the outage, run-latest sends the latest once (the others are "missed",
 * by policy, not lost); only the slot in flight at the stop may be sent twice, with the same id.
 */
export async function runBeatOutage(broker: BrokerFixture, outageMs: number): Promise<BeatOutageRun> {
  const started = Date.now();
  const queue = broker.queue(uniqueName('fault-beat'));
  const name = `fault-${randomUUID().slice(0, 8)}`;
  broker.queue(`taskq.beat.${name}.state`);
  const logs = [reconnectLogger(), reconnectLogger()];
  const apps: TaskqApp[] = [];
  const beats: Beat[] = [];
  for (const logger of logs) {
    const app = createApp({ brokerUrl: BROKER_URL, logger, resultBackend: 'disabled', sendTimeoutMs: 60_000 });
    app.schedule('tick', { schedule: every(1), task: 'fault.tick', options: { queue } });
    apps.push(app);
    beats.push(new Beat(app, { name, standbyPollMs: 500 }));
  }
  const sends: Array<{ slot: string; at: number }> = [];
  for (const beat of beats) beat.on('sent', (_entry, slot) => sends.push({ slot: slot.toISOString(), at: Date.now() }));
  let stoppedAt = 0;
  let backAt = 0;
  try {
    for (const beat of beats) await beat.start();
    await new Promise((r) => setTimeout(r, 5000));
    stoppedAt = Date.now();
    await rabbitmq.stopApp();
    await new Promise((r) => setTimeout(r, outageMs));
    await rabbitmq.startApp();
    backAt = Date.now();
    await new Promise((r) => setTimeout(r, 8000));
  } finally {
    for (const beat of beats) await beat.stop().catch(() => undefined);
    for (const app of apps) await app.close().catch(() => undefined);
  }

  // What reached the queue (the broker's view), by slot.
  const perSlot = await broker.countByHeader(queue, 'x-taskq-beat-slot');
  const slots = [...perSlot.keys()].sort();
  const first = Date.parse(slots[0]!);
  const last = Date.parse(slots.at(-1)!);
  // Slots that must be there: every second from the first to the stop, and from 2 s after the restart to the last.
  const missingOutside: string[] = [];
  for (let t = first; t <= last; t += 1000) {
    const inOutage = t > stoppedAt - 1000 && t < backAt + 2000;
    if (!inOutage && !perSlot.has(new Date(t).toISOString())) missingOutside.push(new Date(t).toISOString());
  }
  const duplicates = [...perSlot.entries()].filter(([, count]) => count > 1).map(([slot]) => slot);
  const firstAfter = sends.find((send) => send.at >= backAt);
  const resumeSeconds = firstAfter ? (firstAfter.at - backAt) / 1000 : Number.NaN;
  const sentTotal = [...perSlot.values()].reduce((a, b) => a + b, 0);
  const reconnects = logs.reduce((sum, log) => sum + log.counts.reconnects, 0);
  return {
    missingOutside,
    duplicates,
    resumeSeconds,
    figures: {
      scenario: `beat (2 beats, every(1)) across a broker stop of ${outageMs / 1000} s`,
      sent: sentTotal,
      ran: slots.length,
      ranTwice: duplicates.length,
      lost: missingOutside.length,
      notes:
        `${slots.length} slots sent; ${duplicates.length} sent twice${duplicates.length ? ` (${duplicates.join(', ')})` : ''}; ` +
        `first send ${resumeSeconds.toFixed(1)} s after the broker was back; ${reconnects} reconnects; ` +
        `slots inside the outage: by run-latest (sent: ${slots.filter((s) => Date.parse(s) > stoppedAt - 1000 && Date.parse(s) < backAt + 2000).length})`,
      seconds: (Date.now() - started) / 1000,
    },
  };
}
