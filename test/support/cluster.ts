import * as amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The local 3-node RabbitMQ cluster of `pnpm cluster` (scripts/rabbitmq-cluster.js): nodes
 * rmq1..rmq3@localhost on 127.0.0.1:5681–5683, beside the main broker on 5672, which the cluster
 * never touches. Tests start it when it is not running (about 20 s) and leave it running.
 */
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'rabbitmq-cluster.js');
const run = promisify(execFile);

/** The nodes' AMQP URLs, node 1 first. */
export const CLUSTER_NODES = [1, 2, 3].map((n) => `amqp://guest:guest@127.0.0.1:${5680 + n}`) as [string, string, string];

/** A broker URL list starting at node `first` and going round the others (1-based). */
export function clusterUrls(first: 1 | 2 | 3): string {
  return [0, 1, 2].map((i) => CLUSTER_NODES[(first - 1 + i) % 3]!).join(',');
}

async function cluster(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [SCRIPT, ...args], { timeout: 180_000, encoding: 'utf8' });
  return stdout.trim();
}

/** Start the three nodes (and join them) unless they run; a node left killed is started again. */
export async function ensureCluster(): Promise<void> {
  await cluster('start');
}

/** kill -9 node `n`; resolves when its port is closed. */
export async function killNode(n: 1 | 2 | 3): Promise<void> {
  await cluster('kill', String(n));
}

/**
 * kill -9 node `n` at once, in this process (the moment of the kill matters to failover figures),
 * by the pid in its own pid file; returns when the signal was sent.
 */
export function killNodeNow(n: 1 | 2 | 3): void {
  const pid = (require(SCRIPT) as { nodePid: (n: number) => number | undefined }).nodePid(n);
  if (pid === undefined) throw new Error(`rmq${n}@localhost is not running`);
  process.kill(pid, 'SIGKILL');
}

/** Start node `n` again; resolves when it is back in the cluster. */
export async function restartNode(n: 1 | 2 | 3): Promise<void> {
  await cluster('restart', String(n));
}

/** The node (1–3) leading quorum queue `queue`. */
export async function leaderOf(queue: string): Promise<1 | 2 | 3> {
  const n = Number(await cluster('leader', queue));
  if (n !== 1 && n !== 2 && n !== 3) throw new Error(`no leader for '${queue}'`);
  return n;
}

/** Delete `queues` through whichever node answers (a test's queues, after it). */
export async function deleteClusterQueues(queues: readonly string[]): Promise<void> {
  for (const url of CLUSTER_NODES) {
    try {
      const connection = await amqp.connect(url);
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      for (const queue of queues) await channel.deleteQueue(queue);
      await connection.close();
      return;
    } catch {
      // that node is down: the next one
    }
  }
}
