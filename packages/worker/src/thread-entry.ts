/**
 * The program of a task thread (`isolate: 'thread'`): load the app's tasks module again, say
 * ready, then run handlers by name as the worker asks, one at a time, posting back values or
 * errors. The worker terminates the thread at a task's hard time limit.
 */
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type * as Core from '@taskq/core/internal';
import { reviveError, serializeError, type ErrorClasses, type FromThread, type ThreadData, type ToThread } from './thread-protocol';
import { importTasksModule } from './tasks-module';

type CoreModule = typeof Core;

const port = parentPort!;
const { modulePath, tsx, overrides } = workerData as ThreadData;
const controllers = new Map<number, AbortController>();

function post(message: FromThread): void {
  port.postMessage(message);
}

async function loadApp(): Promise<{ app: Core.TaskqApp; core: CoreModule }> {
  // As the CLI loads it: ES modules (top-level await too) through import(), TypeScript through tsx.
  const loaded = await importTasksModule(modulePath, tsx ?? {});
  // Use the copy of @taskq/core the module itself uses, so its currentTask() sees our context.
  const core = requireCoreNear(modulePath);
  const candidates = [
    loaded['app'],
    loaded['default'],
    (loaded['default'] as Record<string, unknown> | undefined)?.['app'],
    ...Object.values(loaded),
  ];
  const app = candidates.find((value) => (value as { isTaskqApp?: unknown } | null)?.isTaskqApp === true) as Core.TaskqApp | undefined;
  if (!app) throw new Error(`The module ${modulePath} does not export a taskq app (as 'app', default, or any named export).`);
  // The worker's app may have been reconfigured after loading (taskq worker --broker, --config, …): so is this copy.
  if (overrides && Object.keys(overrides).length > 0) app.configure(overrides);
  return { app, core };
}

function requireCoreNear(path: string): CoreModule {
  try {
    return createRequire(path)('@taskq/core/internal') as CoreModule;
  } catch {
    return require('@taskq/core/internal') as CoreModule;
  }
}

async function run(app: Core.TaskqApp, core: CoreModule, message: Extract<ToThread, { type: 'run' }>): Promise<void> {
  const { runId, taskName, args, context } = message;
  const controller = new AbortController();
  controllers.set(runId, controller);
  try {
    const task = app.tasks.get(taskName);
    const taskContext = {
      ...context,
      signal: controller.signal,
      retry(request?: Core.RetryRequest): never {
        throw new core.Retry(request);
      },
    } as Core.TaskContext;
    const value = await core.runInTaskContext(taskContext, () => task.handler(...args));
    try {
      post({ type: 'done', runId, ok: true, value });
    } catch (cloneError) {
      throw new TypeError(
        `The result of task ${taskName} cannot be passed back from its worker thread (structured clone): ${(cloneError as Error).message}`,
      );
    }
  } catch (error) {
    post({ type: 'done', runId, ok: false, error: serializeError(error) });
  } finally {
    controllers.delete(runId);
  }
}

loadApp().then(
  ({ app, core }) => {
    const classes: ErrorClasses = {
      SOFT_TIME_LIMIT: core.SoftTimeLimitExceeded,
      TIME_LIMIT: core.TimeLimitExceeded,
    };
    port.on('message', (message: ToThread) => {
      if (message.type === 'run') void run(app, core, message);
      else controllers.get(message.runId)?.abort(reviveError(message.reason, classes));
    });
    post({ type: 'ready' });
  },
  (error: unknown) => post({ type: 'load-failed', error: serializeError(error) }),
);
