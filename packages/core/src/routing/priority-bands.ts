/**
 * Priority bands: quorum queues have no message priority before RabbitMQ 4, so a quorum queue with
 * a `maxPriority` becomes one queue per band of priorities. The lowest band keeps the queue's own
 * name (and its exchange and bindings), so Celery and sends without a priority reach it unchanged;
 * each higher band is a queue `<queue>.p<min>-<max>` reached through the default exchange. Pure.
 */
import type { PriorityBand, QueueDeclaration } from './route-config';
import { describeValue, has, joinKey, quote, type FieldReader, type RawMapping } from './field-reader';

/** How many bands a quorum queue with a `maxPriority` and no `priorityBands` gets. */
export const DEFAULT_BAND_COUNT = 3;

/** A band's priorities, lowest and highest included. */
export type BandRange = readonly [min: number, max: number];

const BAND_FORM = /^(\d{1,3})-(\d{1,3})$/;
const BAND_EXAMPLE = `a band 'low-high' such as '4-6'`;

/** The queue of a band above the lowest: `orders.p7-9`. */
export function bandQueueName(queue: string, min: number, max: number): string {
  return `${queue}.p${min}-${max}`;
}

/**
 * Splits 0..`maxPriority` into `count` contiguous bands as evenly as possible, the lower bands
 * taking the remainder: 9 → 0-3, 4-6, 7-9. Fewer bands when there are fewer priorities.
 */
export function evenBands(maxPriority: number, count = DEFAULT_BAND_COUNT): BandRange[] {
  const priorities = maxPriority + 1;
  const bands = Math.min(count, priorities);
  const size = Math.floor(priorities / bands);
  const extra = priorities % bands;
  const ranges: BandRange[] = [];
  let min = 0;
  for (let i = 0; i < bands; i++) {
    const max = min + size - 1 + (i < extra ? 1 : 0);
    ranges.push([min, max]);
    min = max + 1;
  }
  return ranges;
}

/**
 * Reads `priorityBands`: a list of `'low-high'` strings, ascending, contiguous, from 0 to
 * `maxPriority`. Returns `undefined` when absent or wrong (problems are recorded on `reader`).
 */
export function readPriorityBands(reader: FieldReader, raw: RawMapping, prefix: string, maxPriority: number): BandRange[] | undefined {
  if (!has(raw, 'priorityBands')) return undefined;
  const key = joinKey(prefix, 'priorityBands');
  const value = raw.priorityBands;
  const example = evenBands(maxPriority)
    .map(([min, max]) => `'${min}-${max}'`)
    .join(', ');
  if (!Array.isArray(value)) {
    reader.report(
      key,
      `expected a list of bands covering 0 to maxPriority ${maxPriority}, e.g. [${example}], found ${describeValue(value)}`,
    );
    return undefined;
  }
  if (value.length < 2) {
    reader.report(
      key,
      `expected at least 2 bands covering 0 to maxPriority ${maxPriority}, e.g. [${example}], found ${describeValue(value)}`,
    );
    return undefined;
  }
  const problemsBefore = reader.problems.length;
  const ranges: BandRange[] = [];
  let next: number | undefined = 0; // where the next band must start; unknown after a malformed band
  value.forEach((item: unknown, i) => {
    const itemKey = `${key}[${i}]`;
    const match = typeof item === 'string' ? BAND_FORM.exec(item) : null;
    if (!match) {
      reader.report(itemKey, `expected ${BAND_EXAMPLE}, found ${describeValue(item)}`);
      next = undefined;
      return;
    }
    const min = Number(match[1]);
    const max = Number(match[2]);
    const band = quote(String(item));
    if (min > max) {
      reader.report(itemKey, `expected the low priority first ('${max}-${min}'), found ${band}`);
    } else if (next !== undefined && min !== next) {
      const after =
        i === 0 ? '(the lowest priority)' : `(right after ${quote(String(value[i - 1]))}; bands must not overlap or leave gaps)`;
      reader.report(itemKey, `expected a band starting at ${next} ${after}, found ${band}`);
    } else if (max > maxPriority) {
      reader.report(itemKey, `expected a band ending at most at maxPriority ${maxPriority}, found ${band}`);
    }
    ranges.push([min, max]);
    next = next === undefined ? undefined : Math.max(next, max + 1);
  });
  const last = ranges.at(-1);
  if (reader.problems.length === problemsBefore && last && last[1] !== maxPriority) {
    reader.report(key, `expected the last band to end at maxPriority ${maxPriority}, found ${quote(String(value.at(-1)))}`);
  }
  return reader.problems.length === problemsBefore ? ranges : undefined;
}

/**
 * The bands of `queue`: the lowest is `queue` itself; each higher one a queue of its own with the
 * same settings (quorum type, limits, dead-lettering) but no exchange binding and no priority.
 */
export function buildBands(queue: QueueDeclaration, ranges: readonly BandRange[]): PriorityBand[] {
  return ranges.map(([min, max], i) => ({
    min,
    max,
    queue:
      i === 0
        ? queue
        : { ...queue, name: bandQueueName(queue.name, min, max), maxPriority: undefined, exchange: undefined, bindingKeys: [] },
  }));
}
