/**
 * Checks across queue files, once each queue is valid on its own: a queue declared twice (or
 * named like another queue's priority band), a task routed to two queues, an exchange declared
 * with two types. Each problem is reported on the later
 * declaration and names the earlier one, so the user sees both places.
 */
import type { ConfigProblem } from '../errors';
import type { QueueDraft } from './read-queue-route';
import { quote } from './field-reader';
import { compileTaskPattern } from './glob';

/** Every conflict between the given queues, in declaration order. */
export function findRoutingConflicts(drafts: readonly QueueDraft[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const queues = new Map<string, QueueDraft>();
  const tasks = new Map<string, QueueDraft>();
  const exchanges = new Map<string, QueueDraft>();

  for (const draft of drafts) {
    const { queue, source } = draft.route;
    const firstQueue = queues.get(queue.name);
    if (firstQueue) {
      problems.push({
        file: source,
        key: draft.nameKey,
        message: `queue ${quote(queue.name)} is already declared in ${firstQueue.route.source}; declare each queue once`,
      });
      continue; // its tasks and exchange would only repeat the same conflict
    }
    queues.set(queue.name, draft);

    draft.route.tasks.forEach((task, i) => {
      const first = tasks.get(task);
      if (!first) {
        tasks.set(task, draft);
        return;
      }
      if (first === draft) return; // listed twice in one queue: harmless
      const isGlob = compileTaskPattern(task).isGlob;
      problems.push({
        file: source,
        key: draft.taskKeys[i] ?? 'tasks',
        message:
          `${isGlob ? 'pattern' : 'task'} ${quote(task)} is already routed to queue ${quote(first.route.queue.name)} ` +
          `by ${first.route.source}; ` +
          (isGlob ? 'the same pattern in a second queue would never match' : 'list each task in one queue only'),
      });
    });

    const exchange = queue.exchange;
    if (!exchange || draft.exchangeTypeKey === undefined) continue;
    const first = exchanges.get(exchange.name);
    if (!first) {
      exchanges.set(exchange.name, draft);
    } else if (first.route.queue.exchange && first.route.queue.exchange.type !== exchange.type) {
      problems.push({
        file: source,
        key: draft.exchangeTypeKey,
        message:
          `exchange ${quote(exchange.name)} is declared as '${exchange.type}' here but as ` +
          `'${first.route.queue.exchange.type}' in ${first.route.source} (queue ${quote(first.route.queue.name)}); ` +
          `an exchange has one type, so use the same exchangeType in both or another exchange name`,
      });
    }
  }
  problems.push(...findBandNameClashes(drafts, queues));
  return problems;
}

/** A priority band's queue (`orders.p7-9`) must not be a queue configured for something else. */
function findBandNameClashes(drafts: readonly QueueDraft[], queues: ReadonlyMap<string, QueueDraft>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const draft of drafts) {
    for (const band of draft.route.bands?.slice(1) ?? []) {
      const other = queues.get(band.queue.name);
      if (!other) continue;
      problems.push({
        file: draft.route.source,
        key: draft.nameKey,
        message:
          `priority band ${band.min}-${band.max} of queue ${quote(draft.route.queue.name)} needs queue ${quote(band.queue.name)}, ` +
          `which ${other.route.source} declares as a queue of its own; rename that queue or set other priorityBands`,
      });
    }
  }
  return problems;
}
