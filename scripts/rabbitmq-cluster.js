#!/usr/bin/env node
/**
 * A 3-node RabbitMQ cluster on loopback, beside the main broker and never touching it: nodes
 * rmq1@localhost … rmq3@localhost on AMQP ports 5681–5683 (distribution ports 25681–25683), their
 * data under ~/.cache/taskq-cluster (or $TASKQ_CLUSTER_DIR) — one place per user, so every checkout
 * of the repository (a fresh clone for CI, say) finds and reuses the same running cluster instead of
 * colliding with it on the ports — their own Erlang cookie (so they
 * can never reach or join the node on 5672). For trying failover on a laptop and for the tests.
 *
 *   node scripts/rabbitmq-cluster.js start          start the three nodes and join them (≈ 20 s)
 *   node scripts/rabbitmq-cluster.js status         which nodes run, and the cluster as rmq1 sees it
 *   node scripts/rabbitmq-cluster.js kill <1-3>     kill -9 one node (its own pid file: nothing else)
 *   node scripts/rabbitmq-cluster.js restart <1-3>  start a stopped or killed node; it rejoins
 *   node scripts/rabbitmq-cluster.js stop [--clean] stop all three (and delete their data)
 *   node scripts/rabbitmq-cluster.js urls           the nodes' URLs, comma-separated
 *   node scripts/rabbitmq-cluster.js leader <queue> the number (1-3) of the node leading a quorum queue
 *
 * Calls /usr/lib/rabbitmq/bin/* directly: Debian's /usr/sbin wrappers switch to the rabbitmq user
 * and the main node's cookie. Facts behind each setting: ../shared/reference/rabbitmq-cluster.md.
 */
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } = require('node:fs');
const net = require('node:net');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { homedir } = require('node:os');

const BIN = '/usr/lib/rabbitmq/bin';
const ROOT = process.env.TASKQ_CLUSTER_DIR ?? join(homedir(), '.cache', 'taskq-cluster');
const NODES = [1, 2, 3].map((n) => ({
  n,
  name: `rmq${n}@localhost`,
  port: 5680 + n,
  distPort: 25680 + n,
  dir: join(ROOT, `rmq${n}`),
}));
const HOME = join(ROOT, 'home');

function env(node) {
  return {
    ...process.env,
    HOME,
    RABBITMQ_NODENAME: node.name,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(node.port),
    RABBITMQ_DIST_PORT: String(node.distPort),
    RABBITMQ_MNESIA_BASE: join(node.dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(node.dir, 'log'),
    RABBITMQ_PID_FILE: join(node.dir, 'rabbit.pid'),
    RABBITMQ_CONFIG_FILE: join(node.dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(node.dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(node.dir, 'enabled_plugins'),
    RABBITMQ_CONF_ENV_FILE: join(node.dir, 'rabbitmq-env.conf'),
    RABBITMQ_SCHEDULER_BIND_TYPE: 'u',
    // Without this the distribution port listens on every interface.
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
}

function prepare() {
  mkdirSync(HOME, { recursive: true });
  const cookie = join(HOME, '.erlang.cookie');
  if (!existsSync(cookie)) {
    // A cookie of its own: these nodes can never reach, or be joined to, the main node.
    writeFileSync(cookie, randomBytes(20).toString('hex').toUpperCase());
    chmodSync(cookie, 0o400);
  }
  for (const node of NODES) {
    mkdirSync(join(node.dir, 'log'), { recursive: true });
    writeFileSync(
      join(node.dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${node.port}`,
        // An absolute watermark: the default (40 % of RAM) would let three nodes take most of it.
        'vm_memory_high_watermark.absolute = 1GB',
        'loopback_users.guest = true',
        '',
      ].join('\n'),
    );
    writeFileSync(join(node.dir, 'advanced.config'), '[].\n');
    writeFileSync(join(node.dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(node.dir, 'rabbitmq-env.conf'), '');
  }
}

function ctl(node, args, { check = true } = {}) {
  // From the cluster's directory: an Erlang VM that fails to start writes erl_crash.dump to its cwd.
  const cwd = existsSync(ROOT) ? ROOT : undefined;
  const result = spawnSync(join(BIN, 'rabbitmqctl'), ['-n', node.name, ...args], {
    env: env(node),
    encoding: 'utf8',
    timeout: 120_000,
    cwd,
  });
  if (check && result.status !== 0) {
    throw new Error(`rabbitmqctl -n ${node.name} ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim()}`);
  }
  return result;
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port, open, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await portOpen(port)) === open) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`port ${port} did not ${open ? 'open' : 'close'} within ${timeoutMs / 1000} s`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidOf(node) {
  const file = join(node.dir, 'rabbit.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

async function startNode(node) {
  if (pidOf(node) && (await portOpen(node.port))) return;
  // In the node's own directory: a crashing node writes erl_crash.dump and MnesiaCore files to its cwd.
  execFileSync(join(BIN, 'rabbitmq-server'), ['-detached'], { env: env(node), stdio: 'ignore', cwd: node.dir });
  // await_startup fails at once until the node has registered with epmd: ask again until it answers.
  const deadline = Date.now() + 90_000;
  for (;;) {
    const result = ctl(node, ['await_startup', '--timeout', '60'], { check: false });
    if (result.status === 0) break;
    if (Date.now() > deadline)
      throw new Error(`${node.name} did not start within 90 s: ${(result.stderr || result.stdout).trim().split('\n')[0]}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await waitForPort(node.port, true, 90_000);
}

function clusterStatus(via = NODES[0]) {
  const result = ctl(via, ['cluster_status', '--formatter', 'json'], { check: false });
  if (result.status !== 0) return undefined;
  try {
    return JSON.parse(result.stdout);
  } catch {
    return undefined;
  }
}

async function start() {
  prepare();
  await Promise.all(NODES.map((node) => startNode(node)));
  const members = clusterStatus()?.disk_nodes ?? [];
  for (const node of NODES.slice(1)) {
    if (members.includes(node.name)) continue;
    ctl(node, ['stop_app']);
    ctl(node, ['join_cluster', NODES[0].name]);
    ctl(node, ['start_app']);
  }
  const running = clusterStatus()?.running_nodes ?? [];
  console.log(`3-node cluster running: ${running.join(', ')}`);
  console.log(`nodes: ${urls().split(',').join(' ')}`);
}

async function stop(clean) {
  for (const node of NODES) {
    // Remember the pid first: a stopping node removes its pid file before its process has exited.
    const pid = pidOf(node);
    if (!pid) continue;
    ctl(node, ['stop'], { check: false });
    const deadline = Date.now() + 15_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    await waitForPort(node.port, false, 30_000).catch(() => undefined);
  }
  if (clean) rmSync(ROOT, { recursive: true, force: true });
  console.log(`cluster stopped${clean ? ' and its data deleted' : ''}`);
}

async function kill(node) {
  const pid = pidOf(node);
  if (!pid) throw new Error(`${node.name} is not running`);
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 100));
  await waitForPort(node.port, false, 30_000);
  console.log(`killed ${node.name} (pid ${pid})`);
}

async function restart(node) {
  prepare();
  await startNode(node);
  const deadline = Date.now() + 60_000;
  while (!(clusterStatus()?.running_nodes ?? []).includes(node.name)) {
    if (Date.now() > deadline) throw new Error(`${node.name} started but did not rejoin the cluster within 60 s`);
    await new Promise((r) => setTimeout(r, 500));
  }
  console.log(`${node.name} is back in the cluster`);
}

async function status() {
  for (const node of NODES) {
    const up = Boolean(pidOf(node)) && (await portOpen(node.port));
    console.log(`${node.name}  amqp://127.0.0.1:${node.port}  ${up ? 'running' : 'down'}`);
  }
  const cluster = clusterStatus();
  if (cluster) console.log(`cluster (as rmq1 sees it): running ${cluster.running_nodes.join(', ')}`);
}

/** The node leading quorum queue `queue` on the default vhost, asked of any running node. */
async function leader(queue) {
  for (const node of NODES) {
    if (!(pidOf(node) && (await portOpen(node.port)))) continue;
    const result = ctl(node, ['list_queues', 'name', 'leader', '--formatter', 'json'], { check: false });
    if (result.status !== 0) continue;
    const row = JSON.parse(result.stdout).find((entry) => entry.name === queue);
    if (!row) throw new Error(`no queue '${queue}' on the cluster`);
    const lead = NODES.find((candidate) => candidate.name === row.leader);
    if (!lead) throw new Error(`queue '${queue}' has no leader now (${row.leader || 'none'}); is it a quorum queue?`);
    console.log(lead.n);
    return;
  }
  throw new Error('no cluster node is running');
}

function urls() {
  return NODES.map((node) => `amqp://guest:guest@127.0.0.1:${node.port}`).join(',');
}

function nodeArg(value) {
  const node = NODES.find((candidate) => String(candidate.n) === value);
  if (!node) {
    console.error('taskq cluster: name a node: 1, 2 or 3');
    process.exit(2);
  }
  return node;
}

async function main() {
  const [command, arg] = process.argv.slice(2);
  switch (command) {
    case 'start':
      return start();
    case 'stop':
      return stop(arg === '--clean');
    case 'status':
      return status();
    case 'kill':
      return kill(nodeArg(arg));
    case 'restart':
      return restart(nodeArg(arg));
    case 'urls':
      console.log(urls());
      return;
    case 'leader':
      if (!arg) {
        console.error('taskq cluster: name a queue: leader <queue>');
        process.exit(2);
      }
      return leader(arg);
    default:
      console.error(
        'usage: node scripts/rabbitmq-cluster.js start | status | kill <1-3> | restart <1-3> | stop [--clean] | urls | leader <queue>',
      );
      process.exit(2);
  }
}

/** The pid of node `n` (1–3) from its own pid file, or undefined when it is not running (for tests). */
function nodePid(n) {
  return pidOf(NODES[n - 1]);
}

module.exports = { nodePid, portOpen, NODES };

if (require.main === module) {
  main().catch((err) => {
    console.error(`taskq cluster: ${err.message}`);
    process.exit(1);
  });
}
