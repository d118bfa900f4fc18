'use strict';
/** 6. Celery (Debian's python3-celery) on the same broker: apply_async publish, and a prefork -c 2 worker draining. */
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { createApp } = require('@taskq/core');
const { BROKER_URL, deleteQueue, queueName } = require('../lib/broker');
const { start, taskqWorker } = require('../lib/processes');
const { progress, record } = require('../lib/report');
const { drainOnce } = require('./drain');
const { quiet, taskqPublish } = require('./publish');

const CELERY_DIR = path.join(__dirname, '..', '..', 'celery');
const PYTHON = '/usr/bin/python3';

function celeryEnv(extra = {}) {
  return { ...process.env, PYTHONPATH: CELERY_DIR, BENCH_BROKER: `${BROKER_URL}//`, ...extra };
}

/** `celery worker` on `queue` (Debian's Celery 5.2); `env` adds to the app's environment (bench_celery_app.py). */
function celeryWorker(queue, { pool = 'prefork', concurrency = 2, acksLate = false, multiplier = 4, env = {} } = {}) {
  return start(
    PYTHON,
    [
      '-m',
      'celery',
      '-A',
      'bench_celery_app',
      'worker',
      '-Q',
      queue,
      '-P',
      pool,
      '-c',
      String(concurrency),
      '--without-gossip',
      '--without-mingle',
      '--without-heartbeat',
      '-l',
      'warning',
      '-n',
      `bench-${randomUUID().slice(0, 6)}@%h`,
    ],
    { cwd: CELERY_DIR, env: celeryEnv({ BENCH_ACKS_LATE: acksLate ? '1' : '0', BENCH_PREFETCH_MULTIPLIER: String(multiplier), ...env }) },
  );
}

/** Celery's own apply_async (kombu publishes without confirms), timed inside Python. */
function celeryPublishRate(queue, n) {
  const script = [
    'import time',
    'from bench_celery_app import noop',
    `q = '${queue}'`,
    'for i in range(500): noop.apply_async((1, 2), queue=q)',
    't = time.perf_counter()',
    `for i in range(${n}): noop.apply_async((1, 2), queue=q)`,
    `print(${n} / (time.perf_counter() - t))`,
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script], { cwd: CELERY_DIR, env: celeryEnv(), encoding: 'utf8', timeout: 600_000 });
  if (run.status !== 0) throw new Error(`Celery apply_async failed: ${run.stderr.slice(-1500)}`);
  return Number(run.stdout.trim().split('\n').pop());
}

async function celeryScenario({ n, quick }) {
  const probe = spawnSync(PYTHON, ['-c', 'import celery'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    record({
      scenario: '6 vs Celery',
      metric: 'not run',
      taskq: '—',
      unit: '',
      note: `${PYTHON} cannot import celery (apt install python3-celery)`,
    });
    return;
  }
  const count = quick ? 5000 : Math.min(n, 20_000);
  progress(
    `6) Celery: apply_async publish of ${count}; drains of ${count} by celery prefork -c 2 (defaults and acks_late), solo, vs taskq worker`,
  );

  const celeryQueue = queueName('celery-pub');
  const taskqQueue = queueName('celery-pub-taskq');
  const celeryRate = celeryPublishRate(celeryQueue, count);
  const app = createApp({ resultBackend: 'disabled', logger: quiet() });
  const taskqRate = (await taskqPublish(app, taskqQueue, count)).rate;
  await app.close();
  await deleteQueue(celeryQueue);
  await deleteQueue(taskqQueue);
  record({
    scenario: '6 vs Celery',
    metric: 'publish: taskq sendTask (confirmed) vs Celery apply_async',
    taskq: taskqRate,
    reference: celeryRate,
    unit: 'msg/s',
    note: 'Celery/kombu publishes without publisher confirms',
  });

  // Each pair runs the two workers at the same prefetch; where Celery acks before running, it is
  // said (taskq always acks after the task ran).
  const taskq = (multiplier) => (queue) => taskqWorker([queue], { concurrency: 2, extra: ['--prefetch-multiplier', String(multiplier)] });
  const pairs = [
    {
      label: 'prefetch 2, both ack after running (Celery acks_late, multiplier 1)',
      taskq: taskq(1),
      celery: { acksLate: true, multiplier: 1 },
      target: true,
    },
    {
      label: "prefetch 8: Celery's defaults (acks before running, multiplier 4) vs taskq --prefetch-multiplier 4",
      taskq: taskq(4),
      celery: { multiplier: 4 },
      target: true,
    },
    {
      label: 'prefetch 100: Celery multiplier 50 (acks before running) vs taskq --prefetch-multiplier 50',
      taskq: taskq(50),
      celery: { multiplier: 50 },
    },
    { label: 'taskq default (-c 2) vs Celery solo pool, its defaults', taskq: taskq(1), celery: { pool: 'solo', concurrency: 1 } },
  ];
  for (const pair of pairs) {
    const celery = (await drainOnce(count, 'json', (queue) => celeryWorker(queue, pair.celery))).rate;
    const ours = (await drainOnce(count, 'json', pair.taskq)).rate;
    record({
      scenario: '6 vs Celery',
      metric: `drain, ${pair.label}`,
      taskq: ours,
      reference: celery,
      unit: 'tasks/s',
      ...(pair.target ? { target: '≥ 4×', met: ours / celery >= 4 } : {}),
      note: 'Celery prefork -c 2 unless said; both timed the same way (queue depth polled every 20 ms)',
    });
  }
}

module.exports = { celeryScenario, celeryWorker, PYTHON };
