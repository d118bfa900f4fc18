import { createApp, DEFAULT_MAX_MESSAGE_BYTES, MessageTooLargeError, silentLogger } from '../../../src';

describe('app options for message size, dead letters and signing', () => {
  it('defaults: 16 MiB, taskq.dead, no signing', () => {
    const app = createApp({ logger: silentLogger, signing: false });
    expect(app.maxMessageBytes).toBe(16 * 1024 * 1024);
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024);
    expect(app.deadLetterQueue).toBe('taskq.dead');
    expect(app.signer).toBeUndefined();
  });

  it.each([0, -1, 1.5, 513 * 1024 * 1024, NaN])('refuses maxMessageBytes %p', (value) => {
    expect(() => createApp({ logger: silentLogger, maxMessageBytes: value })).toThrow(
      /maxMessageBytes must be a whole number of bytes from 1 to 536870912/,
    );
  });

  it.each(['', '  ', 'amq.dead', 'x'.repeat(256)])('refuses deadLetterQueue %p', (value) => {
    expect(() => createApp({ logger: silentLogger, deadLetterQueue: value })).toThrow(/deadLetterQueue must be a queue name/);
  });

  it('refuses invalid retry settings when the task is registered', () => {
    const app = createApp({ logger: silentLogger });
    expect(() => app.task('tasks.x', () => 1, { maxRetries: -1 })).toThrow(/Invalid retry settings for task 'tasks.x': maxRetries/);
    expect(app.task('tasks.y', () => 1, { maxRetries: 2, autoretryFor: [TypeError] }).retryPolicy).toMatchObject({ maxRetries: 2 });
  });

  it('a producer refuses a body over maxMessageBytes before connecting, saying size, limit and what to do', async () => {
    // The broker URL points nowhere: the check must come before any connection attempt.
    const app = createApp({ logger: silentLogger, brokerUrl: 'amqp://guest:guest@127.0.0.1:1', maxMessageBytes: 1000 });
    const error = (await app
      .sendTask('tasks.big', ['x'.repeat(2000)], { ignoreResult: true })
      .catch((e: unknown) => e)) as MessageTooLargeError;
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.sizeBytes).toBeGreaterThan(2000);
    expect(error.message).toMatch(/Task 'tasks.big' encodes to \d+ bytes, over the limit of 1000 bytes \(maxMessageBytes\)/);
    expect(error.message).toContain('Pass a reference instead');
    expect(error.message).toContain('createApp({ maxMessageBytes })');
    await app.close();
  });

  it('refuses it before connecting even when a result is wanted (the rpc backend is not started for it)', async () => {
    const app = createApp({
      logger: silentLogger,
      brokerUrl: 'amqp://guest:guest@127.0.0.1:1',
      maxMessageBytes: 1000,
      resultBackend: 'rpc://',
    });
    const error = await app.sendTask('tasks.big', ['x'.repeat(2000)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MessageTooLargeError);
    await app.close();
  });
});
