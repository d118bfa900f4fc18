'use strict';
/**
 * 7. I/O-bound tasks, where an event loop should shine: each task awaits 20 ms of simulated I/O.
 * A pre-filled queue is drained by `taskq worker -c 100` and `-c 200`, by a raw amqplib consumer at
 * prefetch 100 and 200 (the ceiling: nothing but decode, await, ack), and by Celery's threads and
 * gevent pools (`-c 100`) and its prefork pool (`-c 2`), all in the same rounds, in an order that
 * reverses every round. Ideal rate = concurrency ÷ task time (5,000/s at 100).
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { connect, deleteQueue, prefill, queueName } = require('../lib/broker');
const { cpuSeconds, start, taskqWorker } = require('../lib/processes');
const { progress, record } = require('../lib/report');
const { median } = require('../lib/stats');
const { celeryWorker, PYTHON } = require('./celery');

const IO_MS = 20;
/** The local broker's process, to read its CPU time over each drain (undefined if it runs elsewhere). */
const BROKER_PID = (() => {
  const found = spawnSync('pgrep', ['-o', 'beam.smp'], { encoding: 'utf8' });
  return found.status === 0 ? Number(found.stdout.trim()) : undefined;
})();
function brokerCpu() {
  try {
    return BROKER_PID === undefined ? Number.NaN : cpuSeconds(BROKER_PID);
  } catch {
    return Number.NaN; // not readable (another user's process without privileges)
  }
}
const RAW_CONSUMER = path.join(__dirname, '..', 'children', 'raw-io-consumer.js');

/**
 * Fill a fresh queue with `count` `bench.io` tasks, start `launch(queue, env)`, and time from the
 * first message taken (the depth first drops) to the last task finished (each appends a byte to
 * BENCH_DONE_FILE): with a prefetch of 100–200 the queue is empty a whole task time before that.
 */
async function drainIo(count, launch) {
  const queue = queueName('io');
  const doneFile = path.join(os.tmpdir(), `${queue}.done`);
  fs.writeFileSync(doneFile, '');
  await prefill(queue, count, { task: 'bench.io', args: [] });
  const consumer = launch(queue, { BENCH_DONE_FILE: doneFile, BENCH_IO_MS: String(IO_MS) });
  const connection = await connect();
  try {
    const channel = await connection.createChannel();
    const deadline = Date.now() + 900_000;
    const check = (what) => {
      if (Date.now() > deadline || !consumer.alive()) throw new Error(`${what} (consumer output: ${consumer.output.slice(-1500)})`);
    };
    while ((await channel.checkQueue(queue)).messageCount >= count) {
      check(`nothing taken from ${queue}`);
      await pause(2);
    }
    const began = performance.now();
    const cpuAtStart = cpuSeconds(consumer.pid);
    const brokerAtStart = brokerCpu();
    await connection.close();
    for (let done = 0; done < count; done = fs.statSync(doneFile).size) {
      check(`${done} of ${count} tasks done`);
      await pause(2);
    }
    const ms = performance.now() - began;
    return {
      rate: (count * 1000) / ms,
      cpuUs: ((cpuSeconds(consumer.pid) - cpuAtStart) * 1e6) / count,
      brokerUs: ((brokerCpu() - brokerAtStart) * 1e6) / count,
    };
  } finally {
    await connection.close().catch(() => undefined);
    await consumer.stop();
    await deleteQueue(queue);
    fs.rmSync(doneFile, { force: true });
  }
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const rawIoConsumer = (prefetch) => (queue, env) =>
  start(process.execPath, [RAW_CONSUMER, queue, String(prefetch), env.BENCH_IO_MS, env.BENCH_DONE_FILE]);

function contenders(n) {
  const taskq = (concurrency, multiplier = 1) => ({
    name: `taskq -c ${concurrency}${multiplier > 1 ? ` --prefetch-multiplier ${multiplier}` : ''}`,
    concurrency,
    count: n,
    launch: (queue, env) => taskqWorker([queue], { concurrency, env, extra: ['--prefetch-multiplier', String(multiplier)] }),
  });
  const raw = (prefetch) => ({ name: `raw prefetch ${prefetch}`, concurrency: prefetch, count: n, launch: rawIoConsumer(prefetch) });
  // -c 100 with prefetch 200: what a slot loses waiting one broker round trip for its next message.
  const list = [taskq(100), raw(100), taskq(200), raw(200), taskq(100, 2)];
  const celeryOk = process.env.BENCH_SKIP_CELERY !== '1' && spawnSync(PYTHON, ['-c', 'import celery'], { encoding: 'utf8' }).status === 0;
  if (!celeryOk) return list;
  const celery = (pool, concurrency, count) => ({
    name: `Celery ${pool} -c ${concurrency}`,
    concurrency,
    count,
    celery: true,
    launch: (queue, env) => celeryWorker(queue, { pool, concurrency, env }),
  });
  list.push(celery('threads', 100, n));
  if (spawnSync(PYTHON, ['-c', 'import gevent'], { encoding: 'utf8' }).status === 0) list.push(celery('gevent', 100, n));
  else progress('  (no gevent pool: apt install python3-gevent)');
  // About 100 tasks/s at best (2 × 1 ÷ 20 ms): a quarter of the tasks gives the same rate in a quarter of the time.
  list.push(celery('prefork', 2, Math.max(200, Math.round(n / 4))));
  return list;
}

async function ioBoundScenario({ rounds }) {
  const n = Number(process.env.BENCH_IO_N ?? 4000);
  const list = contenders(n);
  progress(`7) I/O-bound: ${n} tasks awaiting ${IO_MS} ms each, drained by ${list.map((c) => c.name).join(', ')}; ${rounds} rounds`);
  /** results[name] = one { rate, cpuUs } per round. */
  const results = Object.fromEntries(list.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? list : [...list].reverse();
    for (const c of order) {
      const result = await drainIo(c.count, c.launch);
      progress(
        `  round ${round + 1}: ${c.name}: ${Math.round(result.rate).toLocaleString('en')} tasks/s, consumer ${Math.round(result.cpuUs)} µs and broker ${Math.round(result.brokerUs)} µs CPU per task`,
      );
      results[c.name].push(result);
    }
  }
  const rates = (name) => results[name].map((r) => r.rate);
  const ideal = (c) => (c * 1000) / IO_MS;
  const perRound = (a, b) => a.map((x, i) => x / b[i]);
  const row = (metric, taskqRates, referenceRates, extra) => {
    const spread = perRound(taskqRates, referenceRates);
    record({
      scenario: '7 I/O-bound',
      metric,
      taskq: median(taskqRates),
      reference: median(referenceRates),
      unit: 'tasks/s',
      ratio: median(spread),
      spread,
      ...extra,
    });
  };
  const flat = (value) => Array.from({ length: rounds }, () => value);

  for (const concurrency of [100, 200]) {
    const ours = rates(`taskq -c ${concurrency}`);
    const raw = rates(`raw prefetch ${concurrency}`);
    const rawIdeal = median(raw) / ideal(concurrency);
    row(`-c ${concurrency} vs ideal (${concurrency} ÷ ${IO_MS} ms)`, ours, flat(ideal(concurrency)), {
      ...(concurrency === 100 ? { target: '≥ 0.9×', met: median(perRound(ours, flat(ideal(100)))) >= 0.9 } : {}),
      note: `reference: the ideal ${ideal(concurrency).toLocaleString('en')}/s; raw amqplib reached ${rawIdeal.toFixed(2)}× of it`,
    });
    row(`-c ${concurrency} vs raw amqplib at prefetch ${concurrency}`, ours, raw, {
      ...(concurrency === 200 ? { target: '≥ 0.9×', met: median(perRound(ours, raw)) >= 0.9 } : {}),
      note: 'raw: decode, await, ack each (children/raw-io-consumer.js); taskq worker -l warn, prefetch = concurrency',
    });
  }
  const deep = rates('taskq -c 100 --prefetch-multiplier 2');
  row('-c 100 --prefetch-multiplier 2 vs ideal (100 ÷ 20 ms)', deep, flat(ideal(100)), {
    note: 'prefetch 200: a message is at hand when a slot frees, instead of one broker round trip later',
  });
  record({
    scenario: '7 I/O-bound',
    metric: 'broker CPU per task: taskq -c 100 / raw prefetch 100 / taskq -c 200 / raw prefetch 200',
    taskq: list
      .filter((c) => !c.celery && !c.name.includes('multiplier'))
      .map((c) => Math.round(median(results[c.name].map((r) => r.brokerUs))))
      .join(' / '),
    unit: 'µs',
    chart: false,
    note: `RabbitMQ's (beam.smp) user + system CPU over the drain ÷ tasks (it counts whatever else the broker serves meanwhile); broker, consumer and bench share ${os.cpus().length} cores`,
  });
  record({
    scenario: '7 I/O-bound',
    metric: 'consumer CPU per task, -c 100 vs raw prefetch 100',
    taskq: median(results['taskq -c 100'].map((r) => r.cpuUs)),
    reference: median(results['raw prefetch 100'].map((r) => r.cpuUs)),
    unit: 'µs',
    chart: false,
    note: 'lower is better; user + system CPU of the consumer process over the drain',
  });
  const celery = list.filter((c) => c.celery);
  if (celery.length === 0) return;
  const ours = rates('taskq -c 100');
  for (const c of celery) {
    row(`taskq -c 100 vs ${c.name}`, ours, rates(c.name), {
      chart: c.concurrency === 100 && median(perRound(ours, rates(c.name))) < 10,
      note: `Celery's defaults (prefetch multiplier 4, acks before running)${c.count !== n ? `; ${c.count} tasks` : ''}`,
    });
  }
  const best = celery.map((c) => ({ c, rate: median(rates(c.name)) })).sort((a, b) => b.rate - a.rate)[0].c;
  const bestRatio = median(perRound(ours, rates(best.name)));
  record({
    scenario: '7 I/O-bound',
    metric: `taskq -c 100 vs Celery's best pool (${best.name})`,
    taskq: median(ours),
    reference: median(rates(best.name)),
    unit: 'tasks/s',
    ratio: bestRatio,
    spread: perRound(ours, rates(best.name)),
    target: '≥ 3.5×',
    met: bestRatio >= 3.5,
    chart: false,
    note: 'the best of the pools above by median rate',
  });
}

module.exports = { ioBoundScenario, drainIo };
