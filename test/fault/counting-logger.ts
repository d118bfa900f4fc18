import type { Logger } from '@taskq/core';

/** How many lines of each watched kind were logged, and the last warnings and errors (for a failing scenario's message). */
export interface CountingLogger<K extends string> extends Logger {
  readonly counts: Record<K, number>;
  readonly problems: string[];
}

/** Warnings and errors kept for diagnosis; a flood logs thousands. */
const KEPT_PROBLEMS = 50;

/**
 * A quiet logger that counts the lines matching each of `watch` (at any level), e.g.
 * `{ reconnects: /^Reconnected/ }`, and keeps the last few warnings and errors.
 */
export function countingLogger<K extends string>(watch: Record<K, RegExp>): CountingLogger<K> {
  const counts = Object.fromEntries(Object.keys(watch).map((name) => [name, 0])) as Record<K, number>;
  const problems: string[] = [];
  const patterns = Object.entries(watch) as Array<[K, RegExp]>;
  const see = (message: string): void => {
    for (const [name, pattern] of patterns) if (pattern.test(message)) counts[name]++;
  };
  const keep = (level: string, message: string): void => {
    see(message);
    problems.push(`${level} ${message}`);
    problems.splice(0, Math.max(0, problems.length - KEPT_PROBLEMS));
  };
  return {
    counts,
    problems,
    debug() {},
    info: see,
    warn: (message) => keep('warn', message),
    error: (message) => keep('error', message),
  };
}

/** Counts broker reconnects (the worker's and the producer's connections log one warning each). */
export function reconnectLogger(): CountingLogger<'reconnects'> {
  return countingLogger({ reconnects: /^Reconnected/ });
}
