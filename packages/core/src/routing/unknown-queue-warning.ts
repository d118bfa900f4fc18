/**
 * A worker told to consume a queue nobody sends to waits forever on an empty queue, silently:
 * `--queue nc_q` when the routing files say `nc-q`. This says so at start, with the likely name.
 */
import { similarNames } from './similar-names';

/** The queue names a worker can know messages may arrive on. */
export interface KnownQueues {
  /** Queues declared in the routing files. */
  defined: readonly string[];
  /** Queues the app's registered tasks are routed to. */
  routedTo: readonly string[];
  /** Queues taskq knows without routing files: the default queue and the dead-letter queue. */
  builtIn: readonly string[];
  /** Whether any routing files are configured. */
  hasRoutingFiles: boolean;
}

/**
 * The warning for consuming `queue`, or `undefined` when it is a queue messages are expected on.
 * A queue no routing file defines and no task routes to gets a warning when it looks like a typo
 * of a known one; with routing files configured it gets one anyway (only tasks sent with an
 * explicit `queue` would reach it). Without routing files, an unknown queue with no close match
 * is taken as deliberate (tasks sent with `{ queue }`), so it stays silent.
 */
export function unknownQueueWarning(queue: string, known: KnownQueues): string | undefined {
  const names = [...known.defined, ...known.routedTo, ...known.builtIn];
  if (names.includes(queue)) return undefined;
  const similar = similarNames(queue, names);
  if (similar.length === 0 && !known.hasRoutingFiles) return undefined;
  const where = known.hasRoutingFiles ? 'is not defined in the routing files' : 'is not a known queue (no routing files are configured)';
  const hint =
    similar.length > 0
      ? `did you mean ${similar.map((name) => `'${name}'`).join(' or ')}?`
      : `only tasks sent with { queue: '${queue}' } will arrive there.`;
  return `Queue '${queue}' ${where} and no task routes to it; ${hint}`;
}
