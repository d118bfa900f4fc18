import { bindArguments, runInTaskContext, type Task, type TaskContext } from '@taskq/core';

/** How one run of a handler ended. */
export type ExecutionResult =
  | { ok: true; value: unknown; runtimeMs: number }
  | { ok: false; error: unknown; runtimeMs: number };

/**
 * Run a task's handler with its context available through `currentTask()`. Synchronous throws
 * and rejected promises are both failures; nothing a handler does can escape as an unhandled error.
 */
export async function executeTask(task: Task<unknown[], unknown>, context: TaskContext): Promise<ExecutionResult> {
  const started = performance.now();
  try {
    const { request } = context;
    const args = bindArguments(task.name, task.options.params, request.args, request.kwargs);
    const value = await runInTaskContext(context, () => task.handler(...args));
    return { ok: true, value, runtimeMs: performance.now() - started };
  } catch (error) {
    return { ok: false, error, runtimeMs: performance.now() - started };
  }
}
