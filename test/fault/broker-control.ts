import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/** The cluster script's port check (scripts/rabbitmq-cluster.js). */
const { portOpen } = require('../../scripts/rabbitmq-cluster.js') as { portOpen: (port: number) => Promise<boolean> };

const run = promisify(execFile);

/** Drive the local RabbitMQ node for fault injection (root on the broker's machine). */
export const rabbitmq = {
  async stopApp(): Promise<void> {
    await run('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
  },
  async startApp(): Promise<void> {
    await run('rabbitmqctl', ['start_app'], { timeout: 120_000 });
    await run('rabbitmqctl', ['await_startup', '--timeout', '60'], { timeout: 90_000 }).catch(() => undefined);
    await waitForPort(5672, 60_000);
  },
  async closeAllConnections(reason: string): Promise<void> {
    await run('rabbitmqctl', ['close_all_connections', reason], { timeout: 30_000 });
  },
  /** Make sure the broker app runs (after a failed test, for the next one and for CI). */
  async ensureRunning(): Promise<void> {
    if (await portOpen(5672)) return;
    await this.startApp().catch(async () => {
      await run('rabbitmq-server', ['-detached']).catch(() => undefined);
      await waitForPort(5672, 90_000);
    });
  },
};

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`port ${port} did not open within ${timeoutMs} ms`);
}
