import { ConfigError, type ConfigProblem } from '../../../src/errors';

/** Runs `fn`, expects it to throw one ConfigError, and returns that error's problems. */
export function problemsOf(fn: () => unknown): readonly ConfigProblem[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

/** The async variant of {@link problemsOf}. */
export async function problemsOfAsync(fn: () => Promise<unknown>): Promise<readonly ConfigProblem[]> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}
