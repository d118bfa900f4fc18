import type { GetMessage } from 'amqplib';
import type { BrokerFixture } from '../support/broker';

/** The dead-letter reason header a worker sets on every copy it dead-letters. */
const REASON_HEADER = 'x-taskq-reason';

/** Take every message out of a dead-letter queue (acked), on one channel; none when nothing was ever dead-lettered (no queue). */
export async function drainDeadLetters(broker: BrokerFixture, queue: string): Promise<GetMessage[]> {
  if (!(await broker.exists(queue))) return [];
  return broker.withChannel(async (channel) => {
    const letters: GetMessage[] = [];
    for (;;) {
      const letter = await channel.get(queue, { noAck: true });
      if (!letter) return letters;
      letters.push(letter);
    }
  });
}

/** The reason a dead letter carries (`x-taskq-reason`), or `"(none)"`. */
export function reasonOf(letter: GetMessage): string {
  const reason = letter.properties.headers?.[REASON_HEADER];
  return typeof reason === 'string' ? reason : Buffer.isBuffer(reason) ? reason.toString('utf8') : '(none)';
}

/** Dead letters counted by reason, for the report's dead-lettered column. */
export function countReasons(letters: readonly GetMessage[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const letter of letters) {
    const reason = reasonOf(letter);
    counts[reason] = (counts[reason] ?? 0) + 1;
  }
  return counts;
}

/** Messages in a queue now (0 when it does not exist). */
export async function queueDepth(broker: BrokerFixture, queue: string): Promise<number> {
  return (await broker.counts(queue).catch(() => ({ messageCount: 0 }))).messageCount;
}
