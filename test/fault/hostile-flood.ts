import * as amqp from 'amqplib';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type TaskqApp } from '@taskq/core';
import { Worker } from '@taskq/worker';
import { BROKER_URL, uniqueName, type BrokerFixture } from '../support/broker';
import { CliProcess, FIXTURES, killAll } from '../../apps/cli/test/support/cli-process';
import { countingLogger } from './counting-logger';
import { countReasons, drainDeadLetters, queueDepth, reasonOf } from './dead-letters';
import { tally, type FaultFigures } from './fault-report';
import { POISON_TAG_HEADER, type HostileKind } from './hostile-messages';
import { sleep, waitUntil } from './waiting';

/** What became of the hostile messages: each must be dead-lettered exactly once, with its kind's reason. */
export interface HostileOutcome {
  poisonSent: number;
  /** Tags with no dead letter. */
  missing: string[];
  /** Tags dead-lettered more than once. */
  repeated: string[];
  /** "kind: expected reason, got reason" (once per kind and reason found). */
  wrongReasons: string[];
  leftInQueue: number;
}

export interface HostileFloodRun extends HostileOutcome {
  figures: FaultFigures;
  /** `message-rejected` events: one per poison delivery handled. */
  rejected: number;
  /** Object.prototype was not written to by any header or body. */
  prototypeClean: boolean;
  /** The worker took a task sent after the flood. */
  servesAfter: boolean;
}

export interface HostileFloodPlan {
  scenario: string;
  kinds: readonly HostileKind[];
  perKind: number;
  /** Good tasks sent after each hostile message. */
  goodPerPoison: number;
  timeoutMs: number;
}

/**
 * One in-process worker (concurrency 8) and a raw confirm channel publishing `perKind` messages
 * of every hostile kind, each followed by good tasks. The worker is in this process: a kind that
 * kills the process ends the test run.
 */
export async function runHostileFlood(broker: BrokerFixture, plan: HostileFloodPlan): Promise<HostileFloodRun> {
  const started = Date.now();
  const queue = broker.queue(uniqueName('fault-hostile'));
  const dead = broker.queue(uniqueName('fault-hostile-dead'));
  const runs = new Map<string, number>();
  const app = createApp({ brokerUrl: BROKER_URL, logger: countingLogger({}), deadLetterQueue: dead });
  app.task('fault.record', (id: string) => {
    runs.set(id, (runs.get(id) ?? 0) + 1);
  });
  let rejected = 0;
  const worker = new Worker(app, { queues: [queue], concurrency: 8 });
  worker.on('message-rejected', () => rejected++);
  const connection = await amqp.connect(BROKER_URL);
  try {
    await worker.start();
    const channel = await connection.createConfirmChannel();
    const expected = new Map<string, HostileKind>();
    const confirmed = new Set<string>();
    const sends: Array<Promise<unknown>> = [];
    for (let round = 0; round < plan.perKind; round++) {
      for (const [k, kind] of plan.kinds.entries()) {
        const tag = `poison-${k}-${round}`;
        expected.set(tag, kind);
        const { content, options } = kind.build(tag, 'fault.record');
        channel.sendToQueue(queue, content, options);
        for (let g = 0; g < plan.goodPerPoison; g++) sends.push(sendGood(app, queue, `good-${k}-${round}-${g}`, confirmed));
      }
    }
    await channel.waitForConfirms();
    await Promise.all(sends);
    await waitUntil(() => rejected >= expected.size && [...confirmed].every((id) => runs.has(id)), plan.timeoutMs);
    await waitUntil(async () => (await queueDepth(broker, dead)) >= expected.size, 10_000);
    await sleep(500); // a poison message handled twice would show by now
    await sendGood(app, queue, 'after-the-flood', confirmed);
    const servesAfter = await waitUntil(() => runs.has('after-the-flood'), 10_000);
    const outcome = await hostileOutcome(broker, queue, dead, expected);
    const counted = tally(confirmed, runs);
    const figures: FaultFigures = {
      scenario: plan.scenario,
      sent: expected.size + confirmed.size,
      ...counted,
      deadLettered: outcome.reasons,
      notes: `${plan.kinds.length} kinds × ${plan.perKind} among ${confirmed.size} good; ${rejected} rejections for ${expected.size} poison; 0 worker deaths (in process)`,
      seconds: (Date.now() - started) / 1000,
    };
    const probe = {} as Record<string, unknown>;
    const prototypeClean = probe['polluted'] === undefined && probe['task'] === undefined && probe['id'] === undefined;
    return { figures, rejected, prototypeClean, servesAfter, ...outcome };
  } finally {
    await connection.close().catch(() => undefined);
    await worker.stop();
    await app.close();
  }
}

/** The deep YAML sent to a `taskq worker` process: a stack overflow there would end the process, not the test. */
export async function runHostileInWorkerProcess(
  broker: BrokerFixture,
  kind: HostileKind,
  count: number,
): Promise<{ figures: FaultFigures; alive: boolean } & HostileOutcome> {
  const started = Date.now();
  const queue = broker.queue(uniqueName('fault-hostile-cli'));
  const dead = broker.queue(uniqueName('fault-hostile-cli-dead'));
  const dir = mkdtempSync(join(tmpdir(), 'taskq-fault-hostile-'));
  const file = join(dir, 'runs.txt');
  const processes = [
    new CliProcess(
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
      ],
      { CRASH_RECORD_FILE: file, CRASH_DEAD_LETTER_QUEUE: dead },
    ),
  ];
  const cli = processes[0]!;
  const app = createApp({ brokerUrl: BROKER_URL, logger: countingLogger({}) });
  const connection = await amqp.connect(BROKER_URL);
  const runs = (): Map<string, number> => {
    const map = new Map<string, number>();
    if (!existsSync(file)) return map;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const id = line.split(' ')[1];
      if (id) map.set(id, (map.get(id) ?? 0) + 1);
    }
    return map;
  };
  try {
    await cli.waitFor('taskq worker ready');
    const channel = await connection.createConfirmChannel();
    const expected = new Map<string, HostileKind>();
    const confirmed = new Set<string>();
    for (let i = 0; i < count; i++) {
      const tag = `poison-cli-${i}`;
      expected.set(tag, kind);
      const { content, options } = kind.build(tag, 'crash.ok');
      channel.sendToQueue(queue, content, options);
      const id = `good-cli-${i}`;
      await app.sendTask('crash.ok', [id], { queue, taskId: id, ignoreResult: true });
      confirmed.add(id);
    }
    await channel.waitForConfirms();
    const exited = (): boolean => cli.child.exitCode !== null || cli.child.signalCode !== null;
    await waitUntil(
      async () => exited() || ((await queueDepth(broker, dead)) >= count && [...confirmed].every((id) => runs().has(id))),
      60_000,
    );
    const alive = !exited();
    const outcome = await hostileOutcome(broker, queue, dead, expected);
    const counted = tally(confirmed, runs());
    const figures: FaultFigures = {
      scenario: `${kind.name} ×${count} to a taskq worker process`,
      sent: count + confirmed.size,
      ...counted,
      deadLettered: outcome.reasons,
      notes: alive ? 'worker process alive' : `worker process died (${cli.child.exitCode ?? cli.child.signalCode})`,
      seconds: (Date.now() - started) / 1000,
    };
    if (!alive) process.stderr.write(`taskq worker output:\n${cli.stdout}${cli.stderr}\n`);
    return { figures, alive, ...outcome };
  } finally {
    await connection.close().catch(() => undefined);
    await killAll(processes);
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function sendGood(app: TaskqApp, queue: string, id: string, confirmed: Set<string>): Promise<void> {
  return app.sendTask('fault.record', [id], { queue, taskId: id, ignoreResult: true }).then(() => {
    confirmed.add(id);
  });
}

/** Read the dead-letter queue and match each letter to the hostile message it came from. */
async function hostileOutcome(
  broker: BrokerFixture,
  queue: string,
  dead: string,
  expected: ReadonlyMap<string, HostileKind>,
): Promise<HostileOutcome & { reasons: Record<string, number> }> {
  const letters = await drainDeadLetters(broker, dead);
  const seen = new Map<string, number>();
  /** One line per kind and wrong reason, with the first such letter's error. */
  const wrong = new Map<string, string>();
  for (const letter of letters) {
    const tag = String(letter.properties.headers?.[POISON_TAG_HEADER]);
    seen.set(tag, (seen.get(tag) ?? 0) + 1);
    const kind = expected.get(tag);
    const reason = reasonOf(letter);
    if (kind?.reason === reason) continue;
    const what = kind ? `${kind.name}: expected ${kind.reason}, got ${reason}` : `an unexpected dead letter: ${reason}`;
    if (!wrong.has(what)) wrong.set(what, `${what} (${String(letter.properties.headers?.['x-taskq-error']).slice(0, 200)})`);
  }
  return {
    poisonSent: expected.size,
    missing: [...expected.keys()].filter((tag) => !seen.has(tag)),
    repeated: [...seen].filter(([, n]) => n > 1).map(([tag]) => tag),
    wrongReasons: [...wrong.values()],
    leftInQueue: await queueDepth(broker, queue),
    reasons: countReasons(letters),
  };
}
