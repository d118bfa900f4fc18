// The README's "Testing your tasks" example, as written there (imports adapted to the workspace).
import { createApp, memoryBroker } from '@taskq/core';
import { Worker } from '../../src';

const app = createApp({ brokerUrl: 'memory://readme-example' }); // the README uses 'memory://'
const add = app.task('tasks.add', (x: number, y: number) => x + y);

test('adds', async () => {
  const worker = new Worker(app, { queues: ['celery'], concurrency: 4 });
  await worker.start();
  const result = await add.delay(2, 3);
  expect(await result.get({ timeout: 5000 })).toBe(5);
  await memoryBroker(app).idle(); // everything sent has run, retried or dead-lettered
  await worker.stop();
  memoryBroker(app).reset(); // the next test starts with empty queues
});
afterAll(() => app.close());
