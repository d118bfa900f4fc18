#!/usr/bin/env node
/**
 * Profile helper: prefill N no-op tasks, then drain them with an in-process Worker.
 * Run: node --cpu-prof --cpu-prof-dir=/tmp/prof packages/bench/src/profile-drain.js [N] [json|msgpack|yaml]
 * (the prefill is in the profile too; it is the `sendTask` side).
 */
'use strict';
const { randomUUID } = require('node:crypto');
const { createApp } = require('@taskq/core');
const { Worker } = require('@taskq/worker');
const n = Number(process.argv[2] ?? 20_000);
const serializer = process.argv[3] ?? 'json';
const q = `bench.profile.${randomUUID().slice(0, 8)}`;
const logger = { debug() {}, info() {}, warn() {}, error: (m) => console.error(String(m)) };
(async () => {
  const pub = createApp({ resultBackend: 'disabled', logger });
  for (let i = 0; i < n; i += 1000)
    await Promise.all(
      Array.from({ length: Math.min(1000, n - i) }, () => pub.sendTask('bench.noop', [1, 2], { queue: q, ignoreResult: true, serializer })),
    );
  await pub.close();
  const app = createApp({ resultBackend: 'disabled', logger });
  let seen = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  let t0;
  app.task('bench.noop', () => {
    t0 ??= performance.now();
    if (++seen === n) done();
    return null;
  });
  const w = new Worker(app, { queues: [q], concurrency: 2 });
  await w.start();
  await finished;
  console.log(`drained ${n} in ${(performance.now() - t0).toFixed(0)} ms`);
  await w.stop();
  const ch = await (await require('amqplib').connect('amqp://guest:guest@127.0.0.1:5672')).createChannel();
  await ch.deleteQueue(q);
  process.exit(0);
})();
