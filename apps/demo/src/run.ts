import * as amqp from 'amqplib';
import { spawn } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { TaskFailedError } from '@taskq/core';
import { add, app, fail, remind, resizeImage } from './tasks';

const QUEUES = ['demo.images', 'demo.default'];
const LOW_PRIORITY_JOBS = 20;
const URGENT_JOBS = 3;

/**
 * The demo: starts a real `taskq worker` process, then shows results, an error, priority
 * overtaking a backlog, and a countdown, against the local RabbitMQ.
 */
async function main(): Promise<void> {
  const say = (line = ''): void => void process.stdout.write(`${line}\n`);
  say(`taskq demo — broker ${app.brokerUrlMasked}`);
  say(`Routing files: ${relative(process.cwd(), app.configSource ?? '')}`);
  for (const name of ['demo.add', 'demo.resize_image', 'demo.thumbnail']) {
    const route = app.router.resolve(name, {});
    say(`  ${name.padEnd(18)} → queue ${route.queue?.name} via exchange '${route.exchange}' key '${route.routingKey}'`);
  }
  await purge(QUEUES);

  const cli = join(dirname(require.resolve('@taskq/cli/package.json')), 'dist', 'bin.js');
  const args = [
    cli,
    'worker',
    '--app',
    join(__dirname, 'tasks.js'),
    '--queue',
    QUEUES.join(','),
    '--concurrency',
    '1',
    '--loglevel',
    'warn',
  ];
  say(
    `\nStarting a worker: taskq worker --app ${relative(process.cwd(), join(__dirname, 'tasks.js'))} --queue ${QUEUES.join(',')} --concurrency 1`,
  );
  const worker = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const workerExit = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));

  try {
    say('\n1) A result: add.delay(2, 3)');
    const sum = await (await add.delay(2, 3)).get({ timeout: 15_000 });
    say(`   → ${sum}`);

    say('\n2) A failure travels back with its type and message');
    try {
      await (await fail.delay('corrupt header')).get({ timeout: 10_000 });
      say('   → unexpectedly succeeded');
    } catch (err) {
      if (!(err instanceof TaskFailedError)) throw err;
      say(`   → rejected: ${err.excType}: ${err.message.replace(`${err.excType}: `, '')}`);
    }

    say(`\n3) Priority under a backlog: ${LOW_PRIORITY_JOBS} slow jobs at priority 1, then ${URGENT_JOBS} urgent at priority 9`);
    const low = await Promise.all(
      Array.from({ length: LOW_PRIORITY_JOBS }, (_, i) => resizeImage.apply_async([`low-${i + 1}`, 100], { priority: 1 })),
    );
    const urgent = await Promise.all(
      Array.from({ length: URGENT_JOBS }, (_, i) => resizeImage.apply_async([`URGENT-${i + 1}`, 100], { priority: 9 })),
    );
    const done = await Promise.all([...low, ...urgent].map((r) => r.get({ timeout: 30_000 })));
    const order = [...done].sort((a, b) => a.order - b.order).map((d) => d.label);
    say(`   execution order: ${order.join(' ')}`);
    const urgentPositions = order.flatMap((label, i) => (label.startsWith('URGENT') ? [i + 1] : []));
    say(
      `   urgent jobs ran at positions ${urgentPositions.join(', ')} of ${order.length}, ahead of ${LOW_PRIORITY_JOBS - (urgentPositions[0]! - 1)} queued low-priority jobs`,
    );

    say('\n4) A countdown, kept in the broker: remind.apply_async([…], { countdown: 2 })');
    const sentAt = Date.now();
    const reminder = await (await remind.apply_async(['stand up'], { countdown: 2 })).get({ timeout: 30_000 });
    say(`   → ran ${((reminder.ranAt - sentAt) / 1000).toFixed(1)} s after sending`);
    say('\nDone.');
  } finally {
    worker.kill('SIGTERM');
    const code = await workerExit;
    say(`Worker stopped on SIGTERM with exit code ${code}.`);
    await app.close();
  }
}

async function purge(queues: string[]): Promise<void> {
  const connection = await amqp.connect(app.brokerUrl);
  for (const queue of queues) {
    // A missing queue closes its channel; a fresh one per queue keeps that harmless.
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.purgeQueue(queue).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
  await connection.close().catch(() => undefined);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
