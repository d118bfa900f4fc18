#!/usr/bin/env node
'use strict';
/**
 * Feeds a long run: publishes `total` no-op tasks (taskq-built, confirmed) to `queue`, keeping the
 * backlog under `maxBacklog` so the broker never has to page a million messages to disk.
 * argv: queue total maxBacklog. Prints the number sent now and then, and "done" at the end.
 */
const { depth, prefill } = require('../lib/broker');

const [queue, total, maxBacklog] = process.argv.slice(2).map((v, i) => (i === 0 ? v : Number(v)));
const CHUNK = 5000;

(async () => {
  let sent = 0;
  while (sent < total) {
    if ((await depth(queue).catch(() => 0)) > maxBacklog - CHUNK) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    const count = Math.min(CHUNK, total - sent);
    await prefill(queue, count);
    sent += count;
    if (sent % 100_000 === 0) console.log(`sent ${sent}`);
  }
  console.log('done');
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
