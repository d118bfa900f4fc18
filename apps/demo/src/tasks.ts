import { join } from 'node:path';
import { createApp, currentTask } from '@taskq/core';

/**
 * The demo's tasks module: what `taskq worker --app` loads. Routing comes from the files in
 * apps/demo/routes (one per queue).
 */
export const app = createApp({ config: join(__dirname, '..', 'routes') });

let started = 0;

/** Adds two numbers. */
export const add = app.task('demo.add', (x: number, y: number) => x + y);

/** Pretends to resize an image; reports the order in which it started. */
export const resizeImage = app.task('demo.resize_image', async (label: string, ms: number) => {
  const order = ++started;
  await new Promise((resolve) => setTimeout(resolve, ms));
  return { label, order };
});

/** Always fails, to show how errors reach the caller. */
export const fail = app.task('demo.fail', (reason: string) => {
  const error = new Error(`cannot process: ${reason}`);
  error.name = 'ValueError';
  throw error;
});

/** Returns when it ran, to show countdown. */
export const remind = app.task('demo.remind', (text: string) => ({ text, ranAt: Date.now(), id: currentTask().id }));
