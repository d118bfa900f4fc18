import { TaskqError, type TaskqErrorCode } from '@taskq/core';
import { maskSecrets } from '@taskq/core/internal';

/**
 * Exit code for an error at run time: the broker or result backend unreachable or refusing,
 * invalid routing files, a tasks module that cannot load, an unexpected error.
 */
export const EXIT_ERROR = 1;
/**
 * Exit code for a wrong command line: commander's usage errors (unknown option or command, a
 * missing argument or required option), a bad option value, arguments that contradict each other.
 */
export const EXIT_USAGE = 2;

/** A mistake in the command line that commander cannot see (arguments that exclude each other, a missing --yes). */
export class UsageError extends TaskqError {
  constructor(message: string, code: TaskqErrorCode = 'INVALID_OPTION') {
    super(code, message);
  }
}

/**
 * Print an error for a person: one line (plus config problems) for taskq's own errors, a stack
 * only for unexpected ones. Secrets in the given URLs (broker, result backend) are masked either way.
 */
export function reportError(
  err: unknown,
  secretUrls: ReadonlyArray<string | undefined>,
  write = (s: string) => process.stderr.write(s),
): number {
  const mask = (text: string): string => secretUrls.reduce<string>((masked, url) => (url ? maskSecrets(masked, url) : masked), text);
  if (err instanceof TaskqError) {
    write(`taskq: error: ${mask(err.message)}\n`);
    return err instanceof UsageError ? EXIT_USAGE : EXIT_ERROR;
  }
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  write(`taskq: unexpected error (please report it): ${mask(text)}\n`);
  return EXIT_ERROR;
}
