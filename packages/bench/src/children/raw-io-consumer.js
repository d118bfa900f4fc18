#!/usr/bin/env node
'use strict';
/**
 * The ceiling reference for I/O-bound tasks: amqplib only. Decodes each JSON body, awaits `ioMs`
 * of simulated I/O, appends one byte to `doneFile` and acks the message, up to `prefetch` at once.
 * argv: queue prefetch ioMs doneFile
 */
const fs = require('node:fs');
const { setTimeout: sleep } = require('node:timers/promises');
const amqp = require('amqplib');

const [queue, prefetch, ioMs, doneFile] = process.argv.slice(2);
const wait = Number(ioMs);
const doneFd = fs.openSync(doneFile, 'a');

(async () => {
  const connection = await amqp.connect(process.env.TASKQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
  const channel = await connection.createChannel();
  await channel.prefetch(Number(prefetch));
  await channel.consume(queue, async (message) => {
    JSON.parse(message.content.toString('utf8'));
    await sleep(wait);
    fs.writeSync(doneFd, 'x');
    channel.ack(message);
  });
  process.on('SIGTERM', () => connection.close().finally(() => process.exit(0)));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
