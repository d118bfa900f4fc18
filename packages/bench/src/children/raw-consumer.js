#!/usr/bin/env node
'use strict';
/**
 * The raw reference consumer: amqplib only. Decodes each body with the same library taskq uses
 * and acks it — each message (ackEvery 1) or one multiple ack per `ackEvery` messages.
 * argv: queue serializer prefetch ackEvery noDelay
 */
const amqp = require('amqplib');
const { unpack } = require('msgpackr');
const YAML = require('yaml');

const [queue, serializer, prefetch, ackEvery, noDelay] = process.argv.slice(2);
const decode = {
  json: (body) => JSON.parse(body.toString('utf8')),
  msgpack: (body) => unpack(body),
  yaml: (body) => YAML.parse(body.toString('utf8')),
}[serializer];
const every = Number(ackEvery);

(async () => {
  const connection = await amqp.connect(process.env.TASKQ_BROKER_URL ?? 'amqp://guest:guest@127.0.0.1:5672', {
    noDelay: noDelay === 'true',
  });
  const channel = await connection.createChannel();
  await channel.prefetch(Number(prefetch));
  let seen = 0;
  let last;
  await channel.consume(queue, (message) => {
    decode(message.content);
    seen++;
    if (every === 1) return channel.ack(message);
    last = message;
    if (seen % every === 0) {
      channel.ack(message, true);
      last = undefined;
    }
  });
  // A partial batch at the end is acked when things go quiet.
  setInterval(() => {
    if (last) channel.ack(last, true);
    last = undefined;
  }, 50);
  process.on('SIGTERM', () => connection.close().finally(() => process.exit(0)));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
