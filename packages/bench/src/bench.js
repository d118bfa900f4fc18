#!/usr/bin/env node
/**
 * taskq benchmark harness: taskq vs raw amqplib (and Celery) doing the same work on the same broker,
 * in one run, so ratios are comparable on a noisy machine. Run `pnpm bench` (or `pnpm bench --quick`).
 * Env: BENCH_N (messages per scenario), BENCH_MEM_N (memory run), BENCH_SKIP_CELERY=1.
 * Not part of `pnpm test`; nothing here asserts timings.
 */
'use strict';
const os = require('node:os');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const amqp = require('amqplib');
const { pack, unpack } = require('msgpackr');
const YAML = require('yaml');
const { createApp } = require('@taskq/core');
const { Worker } = require('@taskq/worker');

const quick = process.argv.includes('--quick');
const N = Number(process.env.BENCH_N ?? (quick ? 10_000 : 50_000));
const MEM_N = Number(process.env.BENCH_MEM_N ?? (quick ? 50_000 : 200_000));
const WINDOW = 1000;
const PREFETCH = 2;
const URL = process.env.TASKQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const ROOT = path.resolve(__dirname, '../../..');
const CELERY_DIR = path.join(ROOT, 'test/celery');
const results = [];
const log = (...a) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...a);
const qname = (s) => `bench.${s}.${randomUUID().slice(0, 8)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rate = (n, ms) => Math.round((n * 1000) / ms);

function record(scenario, metric, taskq, raw, unit, note = '') {
  results.push({ scenario, metric, taskq, raw, unit, note, ratio: raw ? taskq / raw : undefined });
  log(`  ${scenario} / ${metric}: taskq ${fmt(taskq)} ${unit}` + (raw !== undefined ? `, reference ${fmt(raw)} → ${(taskq / raw).toFixed(2)}×` : '') + (note ? ` (${note})` : ''));
}
const fmt = (v) => (typeof v === 'number' ? (v >= 100 ? Math.round(v).toLocaleString('en') : Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? '—'));

function celeryHeaders(id, name) {
  return { lang: 'js', task: name, id, shadow: null, eta: null, expires: null, group: null, group_index: null, retries: 0,
    timelimit: [null, null], root_id: id, parent_id: null, argsrepr: '[1, 2]', kwargsrepr: '{}', origin: `bench@${os.hostname()}`, ignore_result: true };
}
const celeryBody = () => JSON.stringify([[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);

async function rawConn() { const c = await amqp.connect(URL); return c; }
async function deleteQueue(q) { const c = await rawConn(); const ch = await c.createChannel(); await ch.deleteQueue(q).catch(() => 0); await c.close(); }
async function depth(q) { const c = await rawConn(); const ch = await c.createChannel(); const r = await ch.checkQueue(q); await c.close(); return r.messageCount; }

function makeApp(extra = {}) {
  const app = createApp({ brokerUrl: URL, resultBackend: 'disabled', logger: silentLogger(), ...extra });
  return app;
}
function silentLogger() { const f = () => undefined; return { debug: f, info: f, warn: f, error: (m) => console.error(String(m)) }; }

// --- 1. publish -------------------------------------------------------------------------------
async function rawPublish(q, n) {
  const c = await rawConn(); const ch = await c.createConfirmChannel();
  await ch.assertQueue(q, { durable: true, maxPriority: 10 });
  const body = Buffer.from(celeryBody());
  const t0 = performance.now();
  for (let i = 0; i < n; i += WINDOW) {
    const m = Math.min(WINDOW, n - i);
    for (let j = 0; j < m; j++) {
      const id = randomUUID();
      ch.publish('', q, body, { persistent: true, contentType: 'application/json', contentEncoding: 'utf-8', correlationId: id, headers: celeryHeaders(id, 'bench.noop') });
    }
    await ch.waitForConfirms();
  }
  const ms = performance.now() - t0; await c.close(); return ms;
}
async function taskqPublish(app, q, n, serializer = 'json') {
  const t0 = performance.now();
  for (let i = 0; i < n; i += WINDOW) {
    const m = Math.min(WINDOW, n - i); const ps = new Array(m);
    for (let j = 0; j < m; j++) ps[j] = app.sendTask('bench.noop', [1, 2], { queue: q, ignoreResult: true, serializer });
    await Promise.all(ps);
  }
  return performance.now() - t0;
}
async function scenarioPublish() {
  log(`1) publish ${N} confirmed persistent messages, ${WINDOW} in flight`);
  const app = makeApp();
  const qa = qname('pub-taskq'), qb = qname('pub-raw');
  await taskqPublish(app, qa, 1000); // warm-up: connection, topology
  const rawMs = await rawPublish(qb, N);
  const tqMs = await taskqPublish(app, qa, N);
  record('1 publish', 'msg/s', rate(N, tqMs), rate(N, rawMs), 'msg/s', 'target ≥ 0.9× raw');
  await app.close(); await deleteQueue(qa); await deleteQueue(qb);
}

// --- 2. drain --------------------------------------------------------------------------------
const decoders = { json: (b) => JSON.parse(b.toString('utf8')), msgpack: (b) => unpack(b), yaml: (b) => YAML.parse(b.toString('utf8')) };
async function prefill(q, n, serializer) { const app = makeApp(); await taskqPublish(app, q, n, serializer); await app.close(); }
async function rawDrain(q, n, serializer, multipleEvery = 0) {
  const c = await rawConn(); const ch = await c.createChannel(); await ch.prefetch(multipleEvery || PREFETCH);
  const decode = decoders[serializer]; let seen = 0; let t0;
  const ms = await new Promise((resolve) => {
    ch.consume(q, (msg) => {
      if (t0 === undefined) t0 = performance.now();
      decode(msg.content); seen++;
      if (!multipleEvery) ch.ack(msg); else if (seen % multipleEvery === 0 || seen === n) ch.ack(msg, true);
      if (seen === n) resolve(performance.now() - t0);
    }, { noAck: false });
  });
  await c.close(); return ms;
}
async function taskqDrain(q, n, concurrency = PREFETCH) {
  const app = makeApp(); let seen = 0; let t0; let done;
  const finished = new Promise((r) => (done = r));
  app.task('bench.noop', () => { if (t0 === undefined) t0 = performance.now(); if (++seen === n) done(performance.now() - t0); return null; });
  const w = new Worker(app, { queues: [q], concurrency });
  await w.start(); const ms = await finished; await w.stop(); await app.close(); return ms;
}
async function scenarioDrain() {
  for (const ser of ['json', 'msgpack', 'yaml']) {
    log(`2) drain ${N} no-op tasks (${ser}), prefetch ${PREFETCH}, ack after each`);
    const qa = qname(`drain-${ser}-raw`), qb = qname(`drain-${ser}-taskq`), qc = qname(`drain-${ser}-rawmulti`);
    await prefill(qa, N, ser); await prefill(qb, N, ser);
    const rawMs = await rawDrain(qa, N, ser);
    const tqMs = await taskqDrain(qb, N);
    record(`2 drain ${ser}`, 'tasks/s', rate(N, tqMs), rate(N, rawMs), 'tasks/s', `prefetch ${PREFETCH}, target ≥ 0.9× raw`);
    if (ser === 'json') {
      await prefill(qc, N, ser);
      const multiMs = await rawDrain(qc, N, ser, 100);
      record(`2 drain json`, 'vs raw multiple-ack', rate(N, tqMs), rate(N, multiMs), 'tasks/s', 'raw: prefetch 100, ack multiple every 100 (reference)');
    }
    for (const q of [qa, qb, qc]) await deleteQueue(q);
  }
}

// --- 3. round trip ---------------------------------------------------------------------------
async function scenarioRoundTrip() {
  const n = quick ? 1000 : 3000;
  log(`3) round trip: ${n} sequential sendTask+get(), then ${n * 3} with 100 in flight (rpc backend)`);
  const q = qname('rtt');
  const wapp = makeApp({ resultBackend: 'rpc://' }); wapp.task('bench.add', (a, b) => a + b);
  const w = new Worker(wapp, { queues: [q], concurrency: 2 }); await w.start();
  const app = makeApp({ resultBackend: 'rpc://' });
  for (let i = 0; i < 100; i++) await (await app.sendTask('bench.add', [1, 2], { queue: q })).get();
  const lat = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); await (await app.sendTask('bench.add', [i, 1], { queue: q })).get(); lat.push(performance.now() - t); }
  lat.sort((a, b) => a - b);
  const p = (x) => lat[Math.min(lat.length - 1, Math.floor(lat.length * x))];
  record('3 round trip', 'p50 latency', p(0.5), undefined, 'ms', 'target ≤ 1 ms');
  record('3 round trip', 'p99 latency', p(0.99), undefined, 'ms', 'target ≤ 5 ms');
  const m = n * 3; let next = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: 100 }, async () => { while (next++ < m) await (await app.sendTask('bench.add', [1, 2], { queue: q })).get(); }));
  record('3 round trip', 'throughput, 100 in flight', rate(m, performance.now() - t0), undefined, 'calls/s', 'worker concurrency 2');
  await w.stop(); await wapp.close(); await app.close(); await deleteQueue(q);
}

// --- 4. priority -----------------------------------------------------------------------------
async function scenarioPriority() {
  const n = quick ? 5000 : N, C = 2, HIGH = 5;
  log(`4) priority: ${n} low (priority 1) queued, worker concurrency ${C} busy, then ${HIGH} high (priority 9)`);
  const q = qname('prio'); const app = makeApp();
  await (async () => { for (let i = 0; i < n; i += WINDOW) await Promise.all(Array.from({ length: Math.min(WINDOW, n - i) }, () => app.sendTask('bench.sleep', ['low'], { queue: q, priority: 1, ignoreResult: true }))); })();
  const wapp = makeApp(); let lowStarted = 0; const highStart = new Map();
  wapp.task('bench.sleep', async (label) => { if (label === 'low') lowStarted++; else highStart.set(label, { t: performance.now(), low: lowStarted }); await sleep(5); return null; });
  const w = new Worker(wapp, { queues: [q], concurrency: C }); await w.start();
  await sleep(500);
  const sent = [];
  for (let i = 0; i < HIGH; i++) {
    await app.sendTask('bench.sleep', [`high-${i}`], { queue: q, priority: 9, ignoreResult: true });
    sent.push({ label: `high-${i}`, t: performance.now(), low: lowStarted });
    await sleep(50);
  }
  while (highStart.size < HIGH) await sleep(10);
  const overtaken = sent.map((s) => highStart.get(s.label).low - s.low);
  const waits = sent.map((s) => highStart.get(s.label).t - s.t);
  record('4 priority', 'max low tasks started after confirm', Math.max(...overtaken), undefined, 'tasks', `per high task: ${overtaken.join(', ')}; target ≤ concurrency ${C}`);
  record('4 priority', 'max time confirm→start', Math.max(...waits), undefined, 'ms', `per high task: ${waits.map((x) => x.toFixed(1)).join(', ')}; 5 ms tasks`);
  await w.stop(); await wapp.close(); await app.close(); await deleteQueue(q);
}

// --- 5. memory -------------------------------------------------------------------------------
async function scenarioMemory() {
  log(`5) memory: drain ${MEM_N} tasks (in-process worker; publisher closed first), RSS sampled every 250 ms`);
  const q = qname('mem'); await prefill(q, MEM_N, 'json'); global.gc?.();
  const mb = () => process.memoryUsage().rss / 1048576; const samples = [];
  const t0 = performance.now(); const timer = setInterval(() => samples.push([performance.now() - t0, mb()]), 250);
  const start = mb(); const ms = await taskqDrain(q, MEM_N); clearInterval(timer); global.gc?.(); const end = mb();
  const peak = Math.max(start, ...samples.map((s) => s[1]));
  // slope over the second half (after warm-up), MB per 100k tasks
  const half = samples.slice(Math.floor(samples.length / 2)); const slope = linreg(half) * (ms / MEM_N) * 100_000;
  record('5 memory', `RSS start / peak / end over ${MEM_N.toLocaleString('en')} tasks`, `${start.toFixed(0)} / ${peak.toFixed(0)} / ${end.toFixed(0)}`, undefined, 'MB', `drain ${rate(MEM_N, ms)} tasks/s`);
  record('5 memory', 'RSS slope, 2nd half', slope, undefined, 'MB per 100k tasks', 'target ≈ 0 (flat)');
  await deleteQueue(q);
  const backlogRss = async (n) => {
    const bq = qname('mem-backlog'); await prefill(bq, n, 'json'); global.gc?.();
    const app = makeApp(); app.task('bench.noop', () => sleep(60_000)); const w = new Worker(app, { queues: [bq], concurrency: 2, drainTimeoutMs: 10 });
    await w.start(); await sleep(1500); global.gc?.(); const r = mb(); await w.stop(); await app.close(); await deleteQueue(bq); return r;
  };
  const small = await backlogRss(100); const large = await backlogRss(quick ? 20_000 : 100_000);
  record('5 memory', `RSS with backlog 100 vs ${quick ? '20k' : '100k'}`, large, small, 'MB', 'ratio large/small; target ≈ 1.0');
}
function linreg(pts) { const n = pts.length; if (n < 2) return 0; let sx = 0, sy = 0, sxy = 0, sxx = 0; for (const [x, y] of pts) { sx += x; sy += y; sxy += x * y; sxx += x * x; } return (n * sxy - sx * sy) / (n * sxx - sx * sx || 1); }

// --- 6. celery -------------------------------------------------------------------------------
function pyEnv() { return { ...process.env, PYTHONPATH: CELERY_DIR, TASKQ_TEST_BROKER: 'amqp://guest:guest@127.0.0.1:5672//', TASKQ_TEST_BACKEND: 'rpc://' }; }
async function scenarioCelery() {
  if (process.env.BENCH_SKIP_CELERY === '1') return;
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import celery'], { env: pyEnv() });
  if (probe.status !== 0) { log('6) Celery not installed (/usr/bin/python3 -c "import celery" failed): skipped'); return; }
  const n = quick ? 5000 : Math.min(N, 20_000);
  log(`6) Celery: apply_async publish ${n}, then prefork -c 2 drain of ${n} py.add tasks, vs taskq worker`);
  const qp = qname('celery-pub');
  const py = `import time,sys\nfrom interop_app import app\nn=${n}\nq='${qp}'\nfor i in range(200): app.send_task('py.add',(1,2),queue=q,ignore_result=True)\nt=time.perf_counter()\nfor i in range(n): app.send_task('py.add',(1,2),queue=q,ignore_result=True)\nprint(time.perf_counter()-t)\n`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { env: pyEnv(), cwd: CELERY_DIR, encoding: 'utf8', timeout: 300_000 });
  const celPubRate = r.status === 0 ? n / Number(r.stdout.trim().split('\n').pop()) : NaN;
  if (r.status !== 0) console.error(r.stderr.slice(-2000));
  await deleteQueue(qp);
  const app = makeApp(); const qt = qname('celery-pubtq'); const tqMs = await taskqPublish(app, qt, n); await app.close(); await deleteQueue(qt);
  record('6 vs Celery', 'publish (taskq confirmed vs Celery apply_async)', rate(n, tqMs), celPubRate, 'msg/s', 'Celery publishes without confirms');
  // Celery prefork drain: prefill, start worker, time from first consume to empty queue
  const qc = qname('celery-drain'); await prefill2(qc, n, 'py.add');
  const worker = spawn('/usr/bin/python3', ['-m', 'celery', '-A', 'interop_app', 'worker', '-Q', qc, '-P', 'prefork', '-c', '2', '--without-gossip', '--without-mingle', '--without-heartbeat', '-l', 'warning', '-n', `bench-${randomUUID().slice(0, 6)}@%h`], { env: pyEnv(), cwd: CELERY_DIR, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = ''; worker.stderr.on('data', (d) => (stderr += d));
  let t0; let left = n; const deadline = Date.now() + 600_000;
  while (left > 0 && Date.now() < deadline) { await sleep(100); left = await depth(qc); if (t0 === undefined && left < n) t0 = performance.now(); if (worker.exitCode !== null) break; }
  const celMs = performance.now() - (t0 ?? performance.now());
  worker.kill('SIGTERM'); await new Promise((res) => (worker.exitCode !== null ? res() : worker.once('exit', res)));
  if (left > 0) console.error('Celery worker did not drain:', stderr.slice(-2000));
  await deleteQueue(qc);
  const qt2 = qname('celery-drain-tq'); await prefill(qt2, n, 'json'); const tqDrainMs = await taskqDrain(qt2, n, 2); await deleteQueue(qt2);
  record('6 vs Celery', 'drain (taskq worker c=2 vs Celery prefork -c 2)', rate(n, tqDrainMs), left > 0 ? NaN : rate(n, celMs), 'tasks/s', 'target ≥ 4×; Celery timed by polling queue depth (100 ms)');
}
async function prefill2(q, n, name) { const app = makeApp(); for (let i = 0; i < n; i += WINDOW) await Promise.all(Array.from({ length: Math.min(WINDOW, n - i) }, () => app.sendTask(name, [1, 2], { queue: q, ignoreResult: true }))); await app.close(); }

// --- report ----------------------------------------------------------------------------------
function machine() {
  const rmq = spawnSync('rabbitmqctl', ['version'], { encoding: 'utf8', timeout: 20_000 }).stdout?.trim() || 'unknown';
  const amqplibVersion = JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('amqplib')), 'package.json'), 'utf8')).version;
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memGiB: (os.totalmem() / 2 ** 30).toFixed(1), node: process.version, rabbitmq: rmq, amqplib: amqplibVersion, date: new Date().toISOString(), sizes: `N=${N}, memory run ${MEM_N}${quick ? ' (--quick)' : ''}` };
}
function table() {
  const rows = results.map((r) => `| ${r.scenario} | ${r.metric} | ${fmt(r.taskq)} | ${r.raw === undefined ? '—' : fmt(r.raw)} | ${r.ratio === undefined || Number.isNaN(r.ratio) ? '—' : r.ratio.toFixed(2) + '×'} | ${r.unit} | ${r.note} |`);
  return ['| Scenario | Metric | taskq | Reference (raw amqplib / Celery) | Ratio | Unit | Notes |', '|---|---|---:|---:|---:|---|---|', ...rows].join('\n');
}
function svg() {
  const rs = results.filter((r) => r.ratio !== undefined && Number.isFinite(r.ratio));
  const W = 760, rowH = 28, left = 330, H = 50 + rs.length * rowH, scale = (W - left - 60) / Math.max(4.5, ...rs.map((r) => r.ratio));
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">\n<text x="10" y="20" font-size="14" font-weight="bold">taskq ÷ reference (same run; 1.0 = parity)</text>\n`;
  rs.forEach((r, i) => { const y = 36 + i * rowH, w = Math.max(1, r.ratio * scale);
    out += `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(r.scenario + ' — ' + r.metric)}</text>\n<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${r.ratio >= 0.9 ? '#3a7' : '#d64'}"/>\n<text x="${(left + w + 4).toFixed(1)}" y="${y + 14}">${r.ratio.toFixed(2)}×</text>\n`; });
  out += `<line x1="${left + scale}" y1="30" x2="${left + scale}" y2="${H - 6}" stroke="#000" stroke-dasharray="3,3"/>\n</svg>\n`;
  return out;
}
async function main() {
  const started = Date.now();
  const steps = { publish: scenarioPublish, drain: scenarioDrain, roundtrip: scenarioRoundTrip, priority: scenarioPriority, memory: scenarioMemory, celery: scenarioCelery };
  const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
  for (const [name, fn] of Object.entries(steps)) {
    if (only.length && !only.includes(name)) continue;
    try { await fn(); } catch (e) { log(`  ${name} FAILED: ${e?.stack ?? e}`); results.push({ scenario: name, metric: 'FAILED', taskq: String(e?.message ?? e), unit: '', note: '' }); }
  }
  const m = machine(); const t = table();
  console.log('\n' + t + '\n');
  const docs = path.join(ROOT, 'docs'); fs.writeFileSync(path.join(docs, 'benchmarks.svg'), svg());
  const md = `# Benchmarks\n\nGenerated by \`pnpm bench${quick ? ' --quick' : ''}\` (packages/bench) in ${((Date.now() - started) / 1000).toFixed(0)} s. ` +
    `taskq and its reference (raw amqplib doing the same work, or Celery) run one after the other in the same run on the same broker; ` +
    `the machine is shared and noisy, so read the **ratios**, not the absolute numbers.\n\n` +
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memGiB} GiB RAM · Node ${m.node} · RabbitMQ ${m.rabbitmq} (same box) · amqplib ${m.amqplib} · ${m.date} · sizes: ${m.sizes}\n\n` +
    `![ratios](benchmarks.svg)\n\n${t}\n\n## Method\n\n` +
    `- Publish: durable queue (x-max-priority 10), persistent Celery protocol v2 messages, ${WINDOW} in flight. Raw: ConfirmChannel, publish ${WINDOW} then waitForConfirms. taskq: \`app.sendTask(name, args, { ignoreResult: true })\` in Promise.all windows of ${WINDOW}.\n` +
    `- Drain: queue pre-filled by taskq (same bytes for both), timed from first delivery to last task done. Raw: amqplib consumer, prefetch ${PREFETCH}, decodes the body with the same library (JSON.parse / msgpackr / yaml) and acks each. taskq: in-process \`Worker\` (concurrency = prefetch = ${PREFETCH}), no-op task, results disabled. Reference row: raw with prefetch 100 and one multiple-ack per 100.\n` +
    `- Round trip: rpc:// backend, in-process worker concurrency 2, sequential sendTask + get(); throughput with 100 calls in flight.\n` +
    `- Priority: low tasks (priority 1, 5 ms each) queued, worker concurrency 2 running, then high tasks (priority 9): low tasks started between the high task's confirm and its start.\n` +
    `- Memory: RSS of the bench process (in-process worker; the publisher is closed before draining), sampled every 250 ms; slope over the second half. Backlog: RSS 1.5 s after a worker started on a backlog of blocked tasks.\n` +
    `- Celery: Debian python3-celery, \`celery worker -P prefork -c 2\` on \`py.add\` (rpc backend, ignore_result), drain timed by polling queue depth; publish with \`app.send_task\` (kombu, no publisher confirms).\n`;
  fs.writeFileSync(path.join(docs, 'BENCHMARKS.md'), md);
  log(`wrote docs/BENCHMARKS.md and docs/benchmarks.svg`);
  process.exit(0);
}
main().catch((e) => { console.error(e); process.exit(1); });
