import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, silentLogger, type TaskqApp } from '@taskq/core';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, killAll } from '../support/cli-process';

const CORE = join(__dirname, '..', '..', '..', '..', 'packages', 'core');

/** A tasks module with top-level `await`, written as an ES module or as CommonJS. */
function esmTasks(typed: boolean): string {
  return [
    "import { threadId } from 'node:worker_threads';",
    "import { createApp } from '@taskq/core';",
    `const answer${typed ? ': number' : ''} = await Promise.resolve(42);`,
    'export const app = createApp();',
    "app.task('formats.answer', () => answer);",
    "app.task('formats.thread', () => ({ answer, threadId }), { isolate: 'thread' });",
  ].join('\n');
}
const CJS_TASKS = [
  "const { threadId } = require('node:worker_threads');",
  "const { createApp } = require('@taskq/core');",
  'const answer = 42;',
  'const app = createApp();',
  "app.task('formats.answer', () => answer);",
  "app.task('formats.thread', () => ({ answer, threadId }), { isolate: 'thread' });",
  'module.exports = { app };',
].join('\n');

/**
 * Projects outside the repository, as users have them: a temp dir with a package.json and the
 * tasks module, with @taskq/core linked into its node_modules.
 */
function project(type: 'module' | 'commonjs', file: string, source: string): { dir: string; module: string } {
  const dir = mkdtempSync(join(tmpdir(), 'taskq-formats-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'formats', private: true, type }));
  mkdirSync(join(dir, 'node_modules', '@taskq'), { recursive: true });
  symlinkSync(CORE, join(dir, 'node_modules', '@taskq', 'core'), 'dir');
  writeFileSync(join(dir, file), source);
  return { dir, module: join(dir, file) };
}

describe('taskq worker loads CommonJS and ES module tasks modules', () => {
  const broker = new BrokerFixture();
  const processes: CliProcess[] = [];
  const dirs: string[] = [];
  let producer: TaskqApp;

  beforeAll(() => {
    producer = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });
  });
  afterEach(async () => {
    await killAll(processes);
    await broker.cleanup();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await producer.close();
  });

  it.each([
    ['module', 'tasks.ts', esmTasks(true)],
    ['module', 'tasks.mts', esmTasks(true)],
    ['module', 'tasks.js', esmTasks(false)],
    ['commonjs', 'tasks.mjs', esmTasks(false)],
    ['commonjs', 'tasks.cjs', CJS_TASKS],
    ['commonjs', 'tasks.js', CJS_TASKS],
  ] as const)('a "type": "%s" project with %s: starts, runs a task (also in a worker thread), stops', async (type, file, source) => {
    const { dir, module } = project(type, file, source);
    dirs.push(dir);
    const queue = broker.queue(uniqueName('formats'));
    const cli = new CliProcess(['worker', '--app', module, '--queue', queue, '--broker', BROKER_URL, '--concurrency', '1'], {
      TASKQ_BROKER_URL: BROKER_URL,
    });
    processes.push(cli);
    await cli.waitFor('taskq worker ready');

    await expect((await producer.sendTask('formats.answer', [], { queue })).get({ timeout: 15_000 })).resolves.toBe(42);
    const inThread = (await (await producer.sendTask('formats.thread', [], { queue })).get({ timeout: 15_000 })) as {
      answer: number;
      threadId: number;
    };
    expect(inThread.answer).toBe(42);
    expect(inThread.threadId).toBeGreaterThan(0);

    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
    expect(cli.stderr).not.toContain('taskq: error');
  });
});
