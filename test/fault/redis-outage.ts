import type { GetMessage } from 'amqplib';
import { createApp, TaskFailedError, type AsyncResult } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { BROKER_URL, uniqueName, type BrokerFixture } from '../support/broker';
import { RedisServer } from '../support/redis-server';
import { countingLogger } from './counting-logger';
import { countReasons, drainDeadLetters, queueDepth } from './dead-letters';
import { tally, type FaultFigures } from './fault-report';
import { sleep } from './waiting';

/** One Redis outage run: how many tasks, how long Redis is away, how long the worker holds a result. */
export interface RedisOutagePlan {
  scenario: string;
  tasks: number;
  /** Producers sending at once; each awaits its task's result before sending the next. */
  lanes: number;
  taskMs: number;
  /** Redis is stopped once this many results were read… */
  stopAfter: number;
  /** …and started again (empty) this long after it stopped. */
  outageMs: number;
  /** The worker's `resultStoreTimeoutMs`; undefined for the default (300 s). */
  resultStoreTimeoutMs?: number;
  /** Each `get()` gives up after this long. */
  getTimeoutMs: number;
  /** No task is sent after this long (a stalled worker must not keep the run going). */
  sendForMs: number;
}

/** What a Redis outage run saw, for the report and the assertions. */
export interface RedisOutageRun {
  figures: FaultFigures;
  runs: ReadonlyMap<string, number>;
  /** `get()` rejected with a task failure, or resolved with another value: "id: what". */
  falseResults: string[];
  /** Ids whose `get()` neither resolved nor failed as a task (it timed out). */
  unresolved: string[];
  /** Of those, the ones whose result the worker had stored before Redis stopped: lost with Redis's data, not by taskq. */
  lostWithRedis: string[];
  deadLetters: GetMessage[];
  /** The worker's outage warnings and "reachable again" lines. */
  outageWarnings: number;
  recoveryLines: number;
  /** Messages left in the task queue at the end. */
  leftInQueue: number;
  workerProblems: string[];
}

/** The value `fault.value` returns for a task id. */
export function expectedValue(id: string): string {
  return `value of ${id}`;
}

/**
 * A worker (concurrency 8) storing results in its own Redis, producers each sending a task and
 * awaiting its result, and Redis stopped for `outageMs` mid-run, then started again. A restarted
 * RedisServer is empty, so results are read as they come; one stored just before the stop and not
 * yet read is lost with Redis's data (counted apart: the worker stored it).
 */
export async function runRedisOutage(broker: BrokerFixture, plan: RedisOutagePlan): Promise<RedisOutageRun> {
  const started = Date.now();
  const redis = await RedisServer.start();
  const queue = broker.queue(uniqueName('fault-redis'));
  const dead = broker.queue(uniqueName('fault-redis-dead'));
  const workerLog = countingLogger({ outageWarnings: /^Cannot store results/, recoveryLines: /^Result backend .* reachable again/ });
  const runs = new Map<string, number>();
  /** When each task's handler started (its last run) and returned. */
  const startedAt = new Map<string, number>();
  const finishedAt = new Map<string, number>();
  /** When the worker was done reporting each task (stored, or given up on). */
  const reportedAt = new Map<string, number>();
  const workerApp = createApp({ brokerUrl: BROKER_URL, resultBackend: redis.url, logger: workerLog, deadLetterQueue: dead });
  workerApp.task('fault.value', async (id: string, ms: number) => {
    runs.set(id, (runs.get(id) ?? 0) + 1);
    startedAt.set(id, Date.now());
    await sleep(ms);
    finishedAt.set(id, Date.now());
    return expectedValue(id);
  });
  const worker = new Worker(workerApp, {
    queues: [queue],
    concurrency: 8,
    drainTimeoutMs: 5_000,
    ...(plan.resultStoreTimeoutMs === undefined ? {} : { resultStoreTimeoutMs: plan.resultStoreTimeoutMs }),
  });
  worker.on('task-succeeded', (request) => reportedAt.set(request.id, Date.now()));
  const producer = createApp({ brokerUrl: BROKER_URL, resultBackend: redis.url, logger: countingLogger({}) });
  try {
    await worker.start();
    const confirmed = new Set<string>();
    const falseResults: string[] = [];
    const unresolved: string[] = [];
    let sendsRejected = 0;
    let resultsStored = 0;
    let read = 0;
    let next = 0;
    const outage = { stoppingAt: 0, stoppedAt: 0, restartedAt: 0, done: Promise.resolve() };
    const stopRedis = async (): Promise<void> => {
      outage.stoppingAt = Date.now();
      await redis.stop();
      outage.stoppedAt = Date.now();
      await sleep(plan.outageMs);
      await redis.startAgain();
      outage.restartedAt = Date.now();
    };

    const lane = async (): Promise<void> => {
      while (next < plan.tasks && Date.now() - started < plan.sendForMs) {
        const id = `value-${next++}`;
        let result: AsyncResult;
        try {
          result = await producer.sendTask('fault.value', [id, plan.taskMs], { queue, taskId: id });
          confirmed.add(id);
        } catch {
          sendsRejected++;
          continue;
        }
        try {
          const value = await result.get({ timeout: plan.getTimeoutMs });
          if (value === expectedValue(id)) resultsStored++;
          else falseResults.push(`${id}: resolved with ${JSON.stringify(value)}`);
        } catch (err) {
          if (err instanceof TaskFailedError) falseResults.push(`${id}: rejected with ${err.state} ${err.message}`);
          else unresolved.push(id);
        }
        if (++read === plan.stopAfter) outage.done = stopRedis();
      }
    };
    await Promise.all(Array.from({ length: plan.lanes }, lane));
    await outage.done;
    await sleep(500); // let a late second run show
    const deadLetters = await drainDeadLetters(broker, dead);
    const deadIds = new Set(deadLetters.map((letter) => String(letter.properties.headers?.['id'])));
    const lostWithRedis = unresolved.filter((id) => !deadIds.has(id) && (reportedAt.get(id) ?? Infinity) <= outage.stoppedAt);
    // Finished before Redis was back, stored after it had stopped.
    const held = [...finishedAt].filter(
      ([id, at]) => at < outage.restartedAt && (reportedAt.get(id) ?? 0) > outage.stoppedAt && !deadIds.has(id),
    ).length;
    // How long each dead-lettered result was held: from the task's return to its dead letter.
    const holds = deadLetters.map((letter) => {
      const headers = letter.properties.headers ?? {};
      return Date.parse(String(headers['x-taskq-dead-lettered-at'])) - (finishedAt.get(String(headers['id'])) ?? NaN);
    });
    const counted = tally(confirmed, runs);
    const startedAfter = [...startedAt.values()].filter((at) => at > outage.restartedAt).length;
    const notes = [
      `Redis down ${((outage.restartedAt - outage.stoppingAt) / 1000).toFixed(1)} s`,
      `${workerLog.counts.outageWarnings} outage warning, ${workerLog.counts.recoveryLines} recovery line`,
      `${held} results held and stored after`,
      ...(holds.length
        ? [
            `dead-lettered after holding ${seconds(Math.min(...holds))}–${seconds(Math.max(...holds))} s (limit ${(plan.resultStoreTimeoutMs ?? 0) / 1000} s)`,
          ]
        : []),
      ...(counted.lost > 0 ? [`STALLED: ${counted.lost} confirmed tasks never ran, ${startedAfter} started after Redis came back`] : []),
      `${lostWithRedis.length} stored before the stop lost with Redis's data`,
      `${sendsRejected} sends rejected`,
    ];
    const figures: FaultFigures = {
      scenario: plan.scenario,
      sent: next,
      ...counted,
      resultsStored,
      falseResults: falseResults.length,
      deadLettered: countReasons(deadLetters),
      notes: notes.join('; '),
      seconds: (Date.now() - started) / 1000,
    };
    return {
      figures,
      runs,
      falseResults,
      unresolved,
      lostWithRedis,
      deadLetters,
      outageWarnings: workerLog.counts.outageWarnings,
      recoveryLines: workerLog.counts.recoveryLines,
      leftInQueue: await queueDepth(broker, queue),
      workerProblems: workerLog.problems,
    };
  } finally {
    await worker.stop();
    await workerApp.close();
    await producer.close();
    await redis.dispose();
  }
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}
