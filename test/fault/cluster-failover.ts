import { createApp, type TaskqApp } from '@taskq/core';
import { BrokerTransport } from '@taskq/core/internal';
import { Worker } from '@taskq/worker';
import { uniqueName } from '../support/broker';
import { CLUSTER_NODES, clusterUrls, deleteClusterQueues, ensureCluster, killNodeNow, leaderOf, restartNode } from '../support/cluster';
import { reconnectLogger } from './counting-logger';
import { tally, type FaultFigures } from './fault-report';
import { sleep, waitUntil } from './waiting';

/** Which node dies. */
export type ClusterFault =
  /** The quorum queue's leader (node 1), with the producer connected to it and the worker to node 3. */
  | 'leader'
  /** The node the worker is connected to (a follower), while the producer is on the third node. */
  | 'worker-node'
  /** A follower nobody is connected to, started again under load: it rejoins and catches up. */
  | 'restart';

/** The figures of a cluster scenario: the table's row, and what the test asserts on. */
export interface ClusterRun extends FaultFigures {
  confirmed: number;
  /** Sends the producer saw rejected (not confirmed: not counted as lost). */
  rejected: number;
  /** The longest pause in confirms, and in task runs, from the kill on (s): how long failover took. */
  publishFailover: number;
  consumeFailover: number;
  /** From the restart command to the node being back in the cluster (s). */
  rejoinSeconds: number;
}

/**
 * One cluster fault under load: `tasks` tasks sent with 200 in flight to a quorum queue (declared
 * by taskq, leader on node 1) and consumed by a worker, the node chosen by `fault` killed with
 * kill -9 a third of the way through the sends and started again after them. Every confirmed
 * task id must run; ids run twice are counted (at-least-once). The producer and the worker get
 * the whole node list, each starting at its own node, and fail over by themselves.
 */
export async function runClusterFailover(fault: ClusterFault, tasks: number): Promise<ClusterRun> {
  await ensureCluster();
  const started = Date.now();
  const queue = uniqueName('cluster-fault');
  const dead = uniqueName('cluster-fault-dead');
  const nodes = { producer: 1, worker: 3, victim: 0 } as { producer: 1 | 2 | 3; worker: 1 | 2 | 3; victim: 1 | 2 | 3 | 0 };
  if (fault === 'worker-node') Object.assign(nodes, { producer: 3, worker: 2 });
  if (fault === 'restart') Object.assign(nodes, { producer: 1, worker: 2 });

  const quorum = { queueType: 'quorum' as const };
  // Declared through node 1 first, so the queue's leader is there (RabbitMQ places it client-local).
  const declarer = createApp({ brokerUrl: CLUSTER_NODES[0], logger: reconnectLogger(), defaults: quorum, deadLetterQueue: dead });
  const transport = new BrokerTransport(declarer.transportSettings, { role: 'fault declare' });
  await transport.ensureQueue(declarer.router.queue(queue));
  await transport.close();
  const leader = await leaderOf(queue);
  nodes.victim = fault === 'leader' ? leader : fault === 'worker-node' ? 2 : 3;

  const runs = new Map<string, number>();
  let killedAt = 0;
  const runTimes: number[] = [];
  const confirmTimes: number[] = [];
  const workerLog = reconnectLogger();
  const producerLog = reconnectLogger();
  const consumerApp = createApp({ brokerUrl: clusterUrls(nodes.worker), logger: workerLog, defaults: quorum, deadLetterQueue: dead });
  consumerApp.task('fault.record', async (id: string, ms: number) => {
    await sleep(ms);
    runs.set(id, (runs.get(id) ?? 0) + 1);
    runTimes.push(Date.now());
  });
  const worker = new Worker(consumerApp, { queues: [queue], concurrency: 8 });
  await worker.start();
  const producer = createApp({ brokerUrl: clusterUrls(nodes.producer), logger: producerLog, defaults: quorum, sendTimeoutMs: 120_000 });
  let rejoinSeconds = 0;
  try {
    const { confirmed, rejected } = await sendAll(producer, queue, tasks, (count) => {
      confirmTimes.push(Date.now());
      if (count === Math.floor(tasks / 3)) {
        killNodeNow(nodes.victim as 1 | 2 | 3);
        killedAt = Date.now();
      }
    });
    const restartAt = Date.now();
    await restartNode(nodes.victim as 1 | 2 | 3);
    rejoinSeconds = (Date.now() - restartAt) / 1000;
    await waitUntil(() => [...confirmed].every((id) => runs.has(id)), 180_000);
    await sleep(1000); // let late duplicates show
    const figures = tally(confirmed, runs);
    const publishFailover = longestPause(confirmTimes, killedAt);
    const consumeFailover = longestPause(runTimes, killedAt);
    const label = {
      leader: `quorum leader (rmq${nodes.victim}) kill -9`,
      'worker-node': `worker's node (rmq2) kill -9`,
      restart: 'follower (rmq3) killed, restarted',
    }[fault];
    return {
      scenario: `cluster: ${label}`,
      sent: tasks,
      ...figures,
      confirmed: confirmed.size,
      rejected,
      publishFailover,
      consumeFailover,
      rejoinSeconds,
      notes:
        `${confirmed.size} confirmed, ${rejected} rejected; failover: publish ${fmt(publishFailover)}, consume ${fmt(consumeFailover)}; ` +
        `${workerLog.counts.reconnects + producerLog.counts.reconnects} reconnects; rejoined in ${rejoinSeconds.toFixed(1)} s`,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await worker.stop();
    await consumerApp.close();
    await producer.close();
    await declarer.close();
    await deleteClusterQueues([queue, dead]);
  }
}

function fmt(seconds: number): string {
  return `${seconds.toFixed(1)} s`;
}

/** The longest gap (s) between the events at `times` (in order) from `from` on, `from` itself included. */
function longestPause(times: readonly number[], from: number): number {
  let longest = 0;
  let previous = from;
  for (const at of times) {
    if (at < from) continue;
    longest = Math.max(longest, at - previous);
    previous = at;
  }
  return longest / 1000;
}

/** Tasks per second the producer offers: the run lasts about 10 s, so the kill falls in mid-stream. */
const SEND_RATE = 500;

/**
 * Send `total` tasks at {@link SEND_RATE} per second, at most 200 waiting for their confirm; `onConfirm`
 * sees the confirmed count after each confirm.
 */
async function sendAll(
  app: TaskqApp,
  queue: string,
  total: number,
  onConfirm: (confirmed: number) => void,
): Promise<{ confirmed: Set<string>; rejected: number }> {
  const confirmed = new Set<string>();
  let rejected = 0;
  let next = 0;
  const start = Date.now();
  async function lane(): Promise<void> {
    while (next < total) {
      const n = next++;
      const id = `task-${n}`;
      const due = start + (n * 1000) / SEND_RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      try {
        await app.sendTask('fault.record', [id, 1], { queue, taskId: id, ignoreResult: true });
        confirmed.add(id);
        onConfirm(confirmed.size);
      } catch {
        rejected++;
      }
    }
  }
  await Promise.all(Array.from({ length: 200 }, lane));
  return { confirmed, rejected };
}
