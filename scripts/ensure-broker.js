#!/usr/bin/env node
// Make sure a RabbitMQ broker answers on the URL taskq will use (TASKQ_BROKER_URL, default
// amqp://guest:guest@127.0.0.1:5672). If it is local and down, start `rabbitmq-server -detached`
// when it is installed; otherwise say exactly what to do. Used by `pnpm test`, `pnpm demo` and CI.
'use strict';
const net = require('node:net');
const { spawnSync } = require('node:child_process');

const url = new URL(process.env.TASKQ_BROKER_URL || 'amqp://guest:guest@127.0.0.1:5672');
const host = url.hostname || '127.0.0.1';
const port = Number(url.port || (url.protocol === 'amqps:' ? 5671 : 5672));
const masked = `${url.protocol}//${url.username ? url.username + ':****@' : ''}${host}:${port}`;
const isLocal = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host);

function reachable() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
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

async function waitUntilReachable(seconds) {
  for (let i = 0; i < seconds * 2; i++) {
    if (await reachable()) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

async function main() {
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
