import { TaskFailedError } from '@taskq/core';
import { add, app, resize } from './tasks';

async function main(): Promise<void> {
  // apply_async resolves once RabbitMQ has the message on disk; get() waits for the worker's result.
  const sum = await add.apply_async([2, 3], { priority: 9 });
  console.log(`tasks.add(2, 3) = ${await sum.get({ timeout: 10_000 })}`);

  const small = await resize.delay('https://example.com/cat.png', 320); // delay(...args): no options
  console.log('images.resize =', await small.get({ timeout: 10_000 }));

  const tooWide = await resize.apply_async(['https://example.com/cat.png', 10_000], { priority: 1 });
  try {
    await tooWide.get({ timeout: 10_000 });
  } catch (err) {
    if (!(err instanceof TaskFailedError)) throw err;
    console.log(`images.resize failed: ${err.message}`); // excType, message and remoteStack come from the worker
  }

  await resize.apply_async(['https://example.com/dog.png', 640], { ignoreResult: true }); // fire and forget
  console.log('sent one more resize without waiting for its result');
}

// app.close() waits for outstanding confirms, deletes the reply queue and closes the connection.
main()
  .finally(() => app.close())
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
