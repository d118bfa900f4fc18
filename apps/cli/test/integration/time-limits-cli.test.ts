import { join } from 'node:path';
import { createApp, silentLogger, TaskFailedError, type TaskqApp } from '@taskq/core';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { CliProcess, killAll, FIXTURES, runCli } from '../support/cli-process';

const TASKS_TS = join(FIXTURES, 'time-limit-tasks.ts');

describe('taskq worker --time-limit / --soft-time-limit', () => {
  const broker = new BrokerFixture();
  let cli: CliProcess | undefined;
  let app: TaskqApp | undefined;

  afterEach(async () => {
    if (cli) await killAll([cli]);
    cli = undefined;
    await app?.close();
    app = undefined;
    await broker.cleanup();
  });

  it('applies the default limits, and stops a CPU-bound TypeScript task in a worker thread', async () => {
    const queue = broker.queue(uniqueName('cli-tl'));
    cli = new CliProcess([
      'worker',
      '-A',
      TASKS_TS,
      '-Q',
      queue,
      '-b',
      BROKER_URL,
      '-c',
      '1',
      '--time-limit',
      '0.5',
      '--soft-time-limit',
      '0.3',
    ]);
    await cli.waitFor('taskq worker ready');
    expect(cli.stderr).toContain('time limits: hard 0.5 s, soft 0.3 s');
    app = createApp({ brokerUrl: BROKER_URL, logger: silentLogger });

    const spin = await app.sendTask('cli.spin', [], { queue });
    const add = await app.sendTask('cli.thread-add', [2, 3], { queue });
    const cooperative = await app.sendTask('cli.cooperative', [], { queue });
    const hard = (await spin.get({ timeout: 15_000 }).catch((e: unknown) => e)) as TaskFailedError;
    expect(hard).toBeInstanceOf(TaskFailedError);
    expect(hard.excType).toBe('TimeLimitExceeded');
    expect(hard.message).toContain('hard time limit of 0.5 s and was marked failed; its worker thread was terminated');
    await expect(add.get({ timeout: 15_000 })).resolves.toBe(5); // a fresh thread loaded the .ts module
    await expect(cooperative.get({ timeout: 15_000 })).rejects.toMatchObject({ excType: 'SoftTimeLimitExceeded' });
    await cli.waitFor(`Task cli.spin[${spin.id}] reached its hard time limit of 0.5 s`);

    cli.child.kill('SIGTERM');
    expect((await cli.exited).code).toBe(0);
  });

  it.each([
    ['--time-limit', 'soon'],
    ['--soft-time-limit', '0'],
    ['--time-limit', '-5'],
  ])('refuses %s %s as a usage error (exit 2)', async (flag, value) => {
    const { code, stderr } = await runCli(['worker', '-A', TASKS_TS, flag, value]);
    expect(code).toBe(2);
    expect(stderr.split('\n')[0]).toBe(
      `taskq: error: option '${flag} <seconds>' argument '${value}' is invalid. Expected a number of seconds above 0 (e.g. 300 or 0.5).`,
    );
  });
});
