import { maskSecrets, TaskqError } from '@taskq/core';

/** Exit code for a user mistake (bad config, bad option, broker unreachable). */
export const EXIT_USER_ERROR = 1;
/** Exit code for a command-line usage error (commander's). */
export const EXIT_USAGE = 2;

/**
 * Print an error for a person: one line (plus config problems) for taskq's own errors, a stack
 * only for unexpected ones. Secrets in the broker URL are masked either way.
 */
export function reportError(err: unknown, brokerUrl: string | undefined, write = (s: string) => process.stderr.write(s)): number {
  const mask = (text: string): string => (brokerUrl ? maskSecrets(text, brokerUrl) : text);
  if (err instanceof TaskqError) {
    write(`taskq: error: ${mask(err.message)}\n`);
    return EXIT_USER_ERROR;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(`taskq: unexpected error (please report it): ${mask(text)}\n`);
  return EXIT_USER_ERROR;
}
