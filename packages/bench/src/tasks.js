'use strict';
/** The tasks `taskq worker --app packages/bench/src/tasks.js` runs in the benchmarks. */
const { createApp } = require('@taskq/core');

const app = createApp();
app.task('bench.noop', () => null);
app.task('bench.add', (a, b) => a + b);
/** Holds its slot (for the backlog-memory scenario). */
app.task('bench.block', () => new Promise((resolve) => setTimeout(() => resolve(null), 600_000)));

module.exports = { app };
