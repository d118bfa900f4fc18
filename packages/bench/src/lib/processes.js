'use strict';
/** Child processes the benchmarks measure: `taskq worker`, a raw amqplib consumer, a producer. */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { BROKER_URL } = require('./broker');

const ROOT = path.resolve(__dirname, '../../../..');
const TASKQ_BIN = path.join(ROOT, 'apps/cli/dist/bin.js');
const BENCH_TASKS = path.join(__dirname, '..', 'tasks.js');
const CLOCK_TICKS = 100; // USER_HZ on Linux

/** `taskq worker` on `queues`, as a user runs it (plus `extra` flags). */
function taskqWorker(
  queues,
  { concurrency = 2, loglevel = 'warn', resultBackend = 'disabled', extra = [], env, broker = BROKER_URL } = {},
) {
  return start(
    process.execPath,
    [
      TASKQ_BIN,
      'worker',
      '--app',
      BENCH_TASKS,
      '-Q',
      queues.join(','),
      '-c',
      String(concurrency),
      '-l',
      loglevel,
      '--result-backend',
      resultBackend,
      '--broker',
      broker,
      ...extra,
    ],
    env ? { env: { ...process.env, ...env } } : {},
  );
}

/** A bare amqplib consumer (children/raw-consumer.js), on the broker at `broker`. */
function rawConsumer(queue, { serializer = 'json', prefetch = 2, ackEvery = 1, noDelay = true, broker = BROKER_URL } = {}) {
  return start(
    process.execPath,
    [path.join(__dirname, '..', 'children', 'raw-consumer.js'), queue, serializer, String(prefetch), String(ackEvery), String(noDelay)],
    { env: { ...process.env, TASKQ_BROKER_URL: broker } },
  );
}

function start(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid,
    child,
    get output() {
      return output;
    },
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    /** SIGTERM (a graceful stop), SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size of a process, in MB. */
function rssMb(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Resolve once `predicate()` holds, polling. */
async function until(predicate, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

module.exports = { ROOT, taskqWorker, rawConsumer, start, cpuSeconds, rssMb, until };
