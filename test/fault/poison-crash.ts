import type { GetMessage } from 'amqplib';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '@taskq/core';
import { BROKER_URL, uniqueName, type BrokerFixture } from '../support/broker';
import { CliProcess, FIXTURES } from '../../apps/cli/test/support/cli-process';
import { countingLogger } from './counting-logger';
import { countReasons, drainDeadLetters, queueDepth } from './dead-letters';
import { tally, type FaultFigures } from './fault-report';
import { Supervisor } from './supervisor';
import { waitUntil } from './waiting';

export interface PoisonCrashPlan {
  scenario: string;
  /** crash.ok tasks. */
  good: number;
  /** crash.exit tasks, spread evenly among the good ones. */
  poison: number;
  /** How long each crash.ok sleeps. */
  taskMs: number;
  workers: number;
  concurrency: number;
  maxRedeliveries: number;
  timeoutMs: number;
}

/** The run is over when no task ran for this long (and the queue is empty). */
const QUIET_MS = 2_500;

export interface PoisonCrashRun {
  figures: FaultFigures;
  goodRuns: ReadonlyMap<string, number>;
  /** Runs of each crash.exit id (one line per run in the record file; the process exits right after). */
  poisonRuns: ReadonlyMap<string, number>;
  poisonIds: readonly string[];
  deadLetters: GetMessage[];
  deaths: number;
  leftInQueue: number;
}

/**
 * `plan.workers` taskq worker processes (crash-tasks fixture) under a supervisor that restarts any
 * that dies; good crash.ok tasks with a few crash.exit tasks (process.exit(1)) among them. Each
 * crash.exit should take a worker down exactly `maxRedeliveries` times, then be dead-lettered as
 * worker-crash; every good task should run, a few twice (those in the dying worker's hands).
 */
export async function runPoisonCrash(broker: BrokerFixture, plan: PoisonCrashPlan): Promise<PoisonCrashRun> {
  const started = Date.now();
  const queue = broker.queue(uniqueName('fault-crash'));
  const dead = broker.queue(uniqueName('fault-crash-dead'));
  const dir = mkdtempSync(join(tmpdir(), 'taskq-fault-crash-'));
  const file = join(dir, 'runs.txt');
  const supervisor = new Supervisor(
    () =>
      new CliProcess(
        [
          'worker',
          '--app',
          join(FIXTURES, 'crash-tasks.ts'),
          '--queue',
          queue,
          '--concurrency',
          String(plan.concurrency),
          '--max-redeliveries',
          String(plan.maxRedeliveries),
          '--broker',
          BROKER_URL,
          '--loglevel',
          'info',
        ],
        { CRASH_RECORD_FILE: file, CRASH_DEAD_LETTER_QUEUE: dead },
      ),
  );
  const producer = createApp({ brokerUrl: BROKER_URL, logger: countingLogger({}) });
  const runs = (task: string): Map<string, number> => {
    const map = new Map<string, number>();
    if (!existsSync(file)) return map;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [name, id] = line.split(' ');
      if (name === task && id) map.set(id, (map.get(id) ?? 0) + 1);
    }
    return map;
  };
  try {
    await supervisor.start(plan.workers);
    const confirmed = new Set<string>();
    const poisonIds: string[] = [];
    const sends: Array<Promise<unknown>> = [];
    const every = Math.floor(plan.good / (plan.poison + 1));
    for (let i = 0; i < plan.good; i++) {
      if (i > 0 && i % every === 0 && poisonIds.length < plan.poison) {
        const id = `exit-${poisonIds.length}`;
        poisonIds.push(id);
        sends.push(producer.sendTask('crash.exit', [], { queue, taskId: id, ignoreResult: true }));
      }
      const id = `ok-${i}`;
      sends.push(producer.sendTask('crash.ok', [id, plan.taskMs], { queue, taskId: id, ignoreResult: true }).then(() => confirmed.add(id)));
    }
    await Promise.all(sends);
    // Done once the queue is empty, there are dead letters enough, and no task ran for a while (a
    // poison task still cycling runs again within about a second of each death).
    const quiet = quietness(file);
    await waitUntil(
      async () => quiet() > QUIET_MS && (await queueDepth(broker, queue)) === 0 && (await queueDepth(broker, dead)) >= plan.poison,
      plan.timeoutMs,
    );
    const goodRuns = runs('crash.ok');
    const poisonRuns = runs('crash.exit');
    const deadLetters = await drainDeadLetters(broker, dead);
    const deaths = supervisor.deaths.length;
    const counted = tally(confirmed, goodRuns);
    const poisonSet = new Set(poisonIds);
    const innocent = deadLetters.map((letter) => String(letter.properties.headers?.['id'])).filter((id) => !poisonSet.has(id));
    const innocentUnrun = innocent.filter((id) => !goodRuns.has(id)).length;
    const figures: FaultFigures = {
      scenario: plan.scenario,
      sent: plan.good + plan.poison,
      ran: counted.ran + poisonRuns.size,
      ranTwice: counted.ranTwice,
      lost: counted.lost,
      deadLettered: countReasons(deadLetters),
      notes:
        `${deaths} worker deaths (exit codes ${[...new Set(supervisor.deaths.map((d) => d.code ?? d.signal))].join(', ') || '—'}), restarted; ` +
        `crash.exit runs ${poisonIds.map((id) => poisonRuns.get(id) ?? 0).join('/')} (max-redeliveries ${plan.maxRedeliveries}); ` +
        (innocent.length ? `${innocent.length} good tasks dead-lettered as worker-crash (${innocentUnrun} never ran); ` : '') +
        `ran twice counts good tasks only`,
      seconds: (Date.now() - started) / 1000,
    };
    return { figures, goodRuns, poisonRuns, poisonIds, deadLetters, deaths, leftInQueue: await queueDepth(broker, queue) };
  } finally {
    await supervisor.stop();
    await producer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds since `file` last grew (since the first call, while it does not exist). */
function quietness(file: string): () => number {
  let size = -1;
  let since = Date.now();
  return () => {
    const now = existsSync(file) ? statSync(file).size : 0;
    if (now !== size) {
      size = now;
      since = Date.now();
    }
    return Date.now() - since;
  };
}
