import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createApp, silentLogger } from '@taskq/core';
import { Worker } from '../../src';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';

const REDIS_URL = process.env['TASKQ_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/0';
const SCRIPT = join(__dirname, '..', 'fixtures', 'forgets-close.js');

interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when the script was still running after the deadline (and was killed). */
  hung: boolean;
}

/** Run the fixture producer (built @taskq/core, no close()) and see whether it exits by itself. */
function runScript(env: Record<string, string>, deadlineMs = 20_000): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SCRIPT], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, hung });
    });
  });
}

/**
 * A producer script that forgets `app.close()` still exits once its work is done: the producer's
 * sockets do not hold the event loop, while a pending send or `get()` does.
 */
describe('a producer script without app.close()', () => {
  const broker = new BrokerFixture();

  afterAll(async () => {
    await broker.cleanup();
  });

  it('exits after its sends are confirmed, and every message is in the queue', async () => {
    const queue = broker.queue(uniqueName('noclose'));
    const run = await runScript({ TASKQ_BROKER_URL: BROKER_URL, SCRIPT_QUEUE: queue, SCRIPT_MODE: 'send', SCRIPT_COUNT: '50' });
    expect(run).toMatchObject({ hung: false, code: 0 });
    expect(run.stdout).toContain('sent 50');
    expect((await broker.counts(queue)).messageCount).toBe(50);
  });

  it.each([
    ['rpc://', 'rpc'],
    [REDIS_URL, 'redis'],
  ])('keeps running while get() waits for a result (%s), then exits', async (resultBackend) => {
    const queue = broker.queue(uniqueName('noclose'));
    const app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger, resultBackend });
    // A slow task: the script must wait for it rather than exit while get() is pending.
    app.task('script.add', async (x: number, y: number) => {
      await new Promise((r) => setTimeout(r, 1500));
      return x + y;
    });
    const worker = new Worker(app, { queues: [queue], concurrency: 2 });
    await worker.start();
    try {
      const run = await runScript({
        TASKQ_BROKER_URL: BROKER_URL,
        TASKQ_RESULT_BACKEND: resultBackend,
        SCRIPT_QUEUE: queue,
        SCRIPT_MODE: 'get',
      });
      expect(run).toMatchObject({ hung: false, code: 0 });
      expect(run.stdout).toContain('result 5');
    } finally {
      await worker.stop();
      await app.close();
    }
  });
});
