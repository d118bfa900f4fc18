import { NotRegisteredError, TaskqError } from './errors';
import type { Task } from './task';

/**
 * Any task, whatever its argument and result types. `any`, not `unknown`: a task's argument types
 * sit in its handler's parameters, where `Task<[number], number>` is not a `Task<unknown[], unknown>`.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above; the registry is keyed by name, not by type.
type AnyTask = Task<any, any>;

/** The tasks an app knows, by name. A worker runs only tasks registered here. */
export class TaskRegistry {
  private readonly tasks = new Map<string, AnyTask>();

  add(task: AnyTask): void {
    if (this.tasks.has(task.name)) {
      throw new TaskqError(
        'TASK_DUPLICATE',
        `A task named '${task.name}' is already registered. Task names must be unique within an app; rename one of them.`,
      );
    }
    this.tasks.set(task.name, task);
  }

  /** The task named `name`, or undefined. */
  find(name: string): AnyTask | undefined {
    return this.tasks.get(name);
  }

  /** The task named `name`; throws {@link NotRegisteredError} listing the known names. */
  get(name: string): AnyTask {
    const task = this.tasks.get(name);
    if (!task) throw new NotRegisteredError(name, this.names());
    return task;
  }

  names(): string[] {
    return [...this.tasks.keys()].sort();
  }

  get size(): number {
    return this.tasks.size;
  }
}
