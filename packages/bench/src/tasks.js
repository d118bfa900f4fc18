'use strict';
/** The tasks `taskq worker --app packages/bench/src/tasks.js` runs in the benchmarks. */
const fs = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const { createApp } = require('@taskq/core');

const app = createApp();
app.task('bench.noop', () => null);
app.task('bench.add', (a, b) => a + b);
/** Holds its slot (for the backlog-memory scenario). */
app.task('bench.block', () => new Promise((resolve) => setTimeout(() => resolve(null), 600_000)));
/**
 * I/O-bound (scenario 7): awaits BENCH_IO_MS (20) ms of simulated I/O, then appends one byte to
 * BENCH_DONE_FILE, so the bench sees the last task finish (the queue is empty a prefetch earlier).
 */
const ioMs = Number(process.env.BENCH_IO_MS ?? 20);
const doneFd = process.env.BENCH_DONE_FILE ? fs.openSync(process.env.BENCH_DONE_FILE, 'a') : undefined;
app.task('bench.io', async () => {
  await sleep(ioMs);
  if (doneFd !== undefined) fs.writeSync(doneFd, 'x');
  return null;
});

module.exports = { app };
