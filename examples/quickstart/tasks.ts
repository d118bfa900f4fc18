import { join } from 'node:path';
import { createApp, currentTask } from '@taskq/core';

// The broker comes from TASKQ_BROKER_URL (default amqp://guest:guest@127.0.0.1:5672). The routing
// files sit next to this module, so the worker and send.ts find them from any working directory.
export const app = createApp({ config: join(__dirname, 'routes') });

export const add = app.task('tasks.add', (x: number, y: number) => x + y);

export const resize = app.task('images.resize', async (url: string, width: number) => {
  if (width < 1 || width > 4096) throw new RangeError(`width must be 1 to 4096, found ${width}`);
  const { queue, retries } = currentTask(); // facts about the running task: id, queue, retries, kwargs, …
  await new Promise((resolve) => setTimeout(resolve, 100)); // … the actual resizing …
  return { url, width, queue, retries };
});
