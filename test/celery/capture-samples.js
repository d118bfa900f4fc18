#!/usr/bin/env node
// Regenerates test/celery/sample-messages.md: what real Celery 5.2.6 / kombu 5.2.4 puts on the
// wire. Task messages are published by client.py (app.send_task) to a queue nobody consumes and
// fetched raw with amqplib basic.get; result messages are published by a real worker to a reply
// queue we own (send_task(reply_to=...)); the redis meta is read with redis-cli.
//
//   node test/celery/capture-samples.js            (needs RabbitMQ, Redis and /usr/bin/python3 + celery)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const CORE_MODULES = path.join(ROOT, 'packages/core/node_modules');
const amqp = require(path.join(CORE_MODULES, 'amqplib'));
const { unpack } = require(path.join(CORE_MODULES, 'msgpackr'));

// Load harness.ts by transpiling it on the fly (no ts-node here).
const ts = require(path.join(ROOT, 'node_modules/typescript'));
require.extensions['.ts'] = (module, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(outputText, filename);
};
const h = require('./harness.ts');

const BROKER = process.env.TASKQ_BROKER_URL || 'amqp://guest:guest@127.0.0.1:5672';
const OUT = path.join(__dirname, 'sample-messages.md');

function body(contentType, content) {
  if (contentType === 'application/x-msgpack') {
    return { raw: `hex: ${content.toString('hex')}`, decoded: JSON.stringify(unpack(content)) };
  }
  return { raw: content.toString('utf8') };
}

function describeMessage(title, msg, extra = '') {
  const { properties, fields, content } = msg;
  const { headers, ...props } = properties;
  const b = body(properties.contentType, content);
  const lines = [`### ${title}`, ''];
  if (extra) lines.push(extra, '');
  lines.push(
    `delivery (basic.get): \`${JSON.stringify({ exchange: fields.exchange, routingKey: fields.routingKey, redelivered: fields.redelivered })}\``,
    '',
  );
  lines.push('properties (amqplib names; undefined = not set):', '```json', JSON.stringify(props, null, 2), '```', '');
  if (headers && Object.keys(headers).length) lines.push('headers:', '```json', JSON.stringify(headers, null, 2), '```', '');
  else lines.push('headers: none', '');
  lines.push(`body (${content.length} bytes):`, '```', b.raw, '```', '');
  if (b.decoded) lines.push('body decoded with msgpackr:', '```json', b.decoded, '```', '');
  return lines.join('\n');
}

async function getAll(ch, queue, n, timeoutMs = 15_000) {
  const out = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < n && Date.now() < deadline) {
    const m = await ch.get(queue, { noAck: true });
    if (m) out.push(m);
    else await new Promise((r) => setTimeout(r, 50));
  }
  if (out.length < n) throw new Error(`only ${out.length}/${n} messages on ${queue}`);
  return out;
}

async function main() {
  if (!h.celeryAvailable()) throw new Error('/usr/bin/python3 cannot import celery');
  const conn = await amqp.connect(BROKER);
  const ch = await conn.createChannel();
  const cleanup = [];
  const sections = [];
  try {
    // ---------------------------------------------------------------- task messages
    const q = h.uniqueCeleryQueue('celery-sample');
    cleanup.push(q);
    const taskOps = [
      {
        title: 'json, no options: `send_task("py.add", args=[2, 3], kwargs={"z": 1}, queue=Q)`',
        op: { name: 'py.add', args: [2, 3], kwargs: { z: 1 }, queue: q },
      },
      {
        title:
          'json with options: `serializer="json", priority=5, countdown=30, expires=60, headers={"tenant": "acme"}, time_limit=30, soft_time_limit=20`',
        op: {
          name: 'py.add',
          args: [2, 3],
          kwargs: { z: 1 },
          queue: q,
          serializer: 'json',
          priority: 5,
          countdown: 30,
          expires: 60,
          headers: { tenant: 'acme' },
          time_limit: 30,
          soft_time_limit: 20,
        },
      },
      {
        title: 'json with Python-native values: datetime, date, time, Decimal, UUID (kombu 5.2.4 turns them into plain strings)',
        op: {
          name: 'py.echo',
          args: [
            h.pyDatetime('2024-01-02T03:04:05.123456+00:00'),
            h.pyDate('2024-01-02'),
            h.pyTime('03:04:05'),
            h.pyDecimal('1.10'),
            h.pyUuid('6f1c2a7e-1b2c-4d3e-8f00-000000000001'),
          ],
          queue: q,
          serializer: 'json',
        },
      },
      {
        title: 'msgpack: `serializer="msgpack", priority=9`',
        op: { name: 'py.add', args: [2, 3], kwargs: { z: 1 }, queue: q, serializer: 'msgpack', priority: 9 },
      },
      {
        title: 'msgpack with bytes: `args=[b"\\x00\\x01\\x02"]`',
        op: { name: 'py.echo', args: [h.pyBytes(Buffer.from([0, 1, 2]))], queue: q, serializer: 'msgpack' },
      },
      {
        title: 'yaml: `serializer="yaml"` with a datetime and a date argument',
        op: {
          name: 'py.echo',
          args: [2, h.pyDatetime('2024-01-02T03:04:05.123456+00:00'), h.pyDate('2024-01-02')],
          kwargs: { z: 1 },
          queue: q,
          serializer: 'yaml',
        },
      },
      {
        title: 'json with an `eta` given as an aware ISO datetime and `expires` as an ISO datetime',
        op: { name: 'py.add', args: [1, 1], queue: q, eta: '2030-01-01T00:00:00+00:00', expires: '2030-01-02T00:00:00+00:00' },
      },
    ];
    const sent = await h.runCeleryClient({ ops: taskOps.map((t) => t.op) });
    // The queue has x-max-priority 10, so basic.get returns higher priorities first: match by id.
    const taskMsgs = new Map((await getAll(ch, q, taskOps.length)).map((m) => [m.properties.correlationId, m]));
    sections.push('## Task messages published by `app.send_task(..., queue=Q)`', '');
    taskOps.forEach((t, i) => {
      sections.push(describeMessage(t.title, taskMsgs.get(sent[i].id), `task id: \`${sent[i].id}\``));
    });

    // ---------------------------------------------------------------- rpc results
    sections.push('## rpc:// result messages published by the worker', '');
    for (const serializer of ['json', 'msgpack', 'yaml']) {
      const wq = h.uniqueCeleryQueue('celery-sample');
      const reply = h.uniqueCeleryQueue('celery-reply');
      cleanup.push(wq, reply);
      await ch.assertQueue(reply, { durable: false, autoDelete: false });
      const worker = await h.CeleryWorker.start({ queues: [wq], resultSerializer: serializer });
      try {
        const ids = await h.runCeleryClient({
          ops: [
            { name: 'py.add', args: [2, 3], queue: wq, reply_to: reply },
            { name: 'py.fail', args: ['boom'], queue: wq, reply_to: reply },
            { name: 'py.echo', args: [h.pyDatetime('2024-01-02T03:04:05+00:00')], queue: wq, reply_to: reply, serializer: 'yaml' },
          ],
        });
        const results = await getAll(ch, reply, 3);
        const byId = new Map(results.map((m) => [m.properties.correlationId, m]));
        const titles = [
          'py.add(2, 3) → SUCCESS',
          'py.fail("boom") → FAILURE',
          'py.echo(datetime) → SUCCESS (dict result; `request` part trimmed below)',
        ];
        ids.forEach((r, i) => {
          const m = byId.get(r.id);
          if (!m) throw new Error(`no result for ${r.id}`);
          if (i === 2 && serializer === 'json') {
            // keep the echo sample short: drop the request dump
            const parsed = JSON.parse(m.content.toString('utf8'));
            delete parsed.result.request;
            m.content = Buffer.from(JSON.stringify(parsed));
          }
          if (i === 2 && serializer !== 'json') return;
          sections.push(
            describeMessage(`result_serializer=${serializer}: ${titles[i]}`, m, `task id: \`${r.id}\`; published to reply_to=\`${reply}\``),
          );
        });
      } finally {
        await worker.stop();
      }
    }

    // ---------------------------------------------------------------- redis results
    sections.push('## redis:// result meta stored by the worker', '');
    {
      const wq = h.uniqueCeleryQueue('celery-sample');
      cleanup.push(wq);
      const worker = await h.CeleryWorker.start({ queues: [wq], backend: h.REDIS_BACKEND_URL });
      try {
        const res = await h.runCeleryClient({
          backend: h.REDIS_BACKEND_URL,
          ops: [
            { name: 'py.add', args: [2, 3], queue: wq, get: true },
            { name: 'py.fail', args: ['boom'], queue: wq, get: true },
          ],
        });
        for (const r of res) {
          const key = `celery-task-meta-${r.id}`;
          const value = execFileSync('redis-cli', ['-n', '0', 'GET', key], { encoding: 'utf8' }).trim();
          const ttl = execFileSync('redis-cli', ['-n', '0', 'TTL', key], { encoding: 'utf8' }).trim();
          sections.push(
            `### ${r.state}: key \`${key}\` (TTL ${ttl} s)`,
            '',
            '```json',
            JSON.stringify(JSON.parse(value), null, 2),
            '```',
            '',
          );
          execFileSync('redis-cli', ['-n', '0', 'DEL', key]);
        }
      } finally {
        await worker.stop();
      }
    }
  } finally {
    for (const name of cleanup) {
      await ch.deleteQueue(name).catch(() => undefined);
      await ch.deleteExchange(name).catch(() => undefined);
    }
    await conn.close().catch(() => undefined);
  }

  const header = fs.readFileSync(OUT, 'utf8').split('<!-- captured -->')[0];
  fs.writeFileSync(
    OUT,
    `${header}<!-- captured -->\n\nCaptured ${new Date().toISOString()} by \`node test/celery/capture-samples.js\`.\n\n${sections.join('\n')}`,
  );
  console.log(`wrote ${OUT}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
