#!/usr/bin/env node
// Make sure the services taskq's tests and demo use answer: RabbitMQ on TASKQ_BROKER_URL (default
// amqp://guest:guest@127.0.0.1:5672) and, with --redis, Redis on 127.0.0.1:6379 (the Redis result
// backend tests). A local service that is installed but down is started; otherwise this says
// exactly what to do. Used by `pnpm test`, `pnpm demo` and CI.
'use strict';
const net = require('node:net');
const { spawnSync } = require('node:child_process');

const url = new URL(process.env.TASKQ_BROKER_URL || 'amqp://guest:guest@127.0.0.1:5672');
const host = url.hostname || '127.0.0.1';
const port = Number(url.port || (url.protocol === 'amqps:' ? 5671 : 5672));
const masked = `${url.protocol}//${url.username ? `${url.username}:****@` : ''}${host}:${port}`;
const isLocal = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

function reachable(h = host, p = port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: h, port: p });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

async function waitUntilReachable(seconds, h = host, p = port) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await reachable(h, p)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function ensureRedis() {
  if (await reachable('127.0.0.1', 6379)) return;
  if (!hasCommand('redis-server')) {
    console.error(
      'Redis is not running on 127.0.0.1:6379 and is not installed (the Redis result backend tests need it).\n' +
        '  Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
        '  Docker:        docker compose -f docker/compose.yaml up -d redis',
    );
    process.exit(1);
  }
  console.error("Redis is down on 127.0.0.1:6379; starting 'redis-server --daemonize yes'…");
  spawnSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no'], {
    stdio: 'inherit',
  });
  if (!(await waitUntilReachable(20, '127.0.0.1', 6379))) {
    console.error('Redis did not come up on 127.0.0.1:6379 within 20 s.');
    process.exit(1);
  }
}

async function main() {
  if (process.argv.includes('--redis')) await ensureRedis();
  if (await reachable()) return;
  if (!isLocal) {
    console.error(`RabbitMQ at ${masked} is not reachable. Check the host and port in TASKQ_BROKER_URL.`);
    process.exit(1);
  }
  if (!hasCommand('rabbitmq-server')) {
    console.error(
      `RabbitMQ is not running at ${masked} and is not installed here.\n` +
        `  Debian/Ubuntu: sudo apt-get install -y rabbitmq-server && sudo rabbitmq-server -detached\n` +
        `  Docker:        docker compose -f docker/compose.yaml up -d`,
    );
    process.exit(1);
  }
  console.error(`RabbitMQ is down at ${masked}; starting it with 'rabbitmq-server -detached'…`);
  spawnSync('rabbitmq-server', ['-detached'], { stdio: 'inherit' });
  if (hasCommand('rabbitmqctl')) spawnSync('rabbitmqctl', ['await_startup', '--timeout', '60'], { stdio: 'ignore' });
  if (!(await waitUntilReachable(60))) {
    console.error(`RabbitMQ did not come up at ${masked} within 60 s; see /var/log/rabbitmq/ for why.`);
    process.exit(1);
  }
  console.error('RabbitMQ is up.');
}

main();
