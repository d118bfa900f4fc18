import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../support/cli-process';

/** `taskq schedule` (no broker) and the command-line mistakes around beat. */
describe('taskq schedule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'taskq-schedule-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("lists the app's and the file's entries with their next fire times, in their zone and in UTC", async () => {
    const file = join(dir, 'beat.yaml');
    writeFileSync(file, "nightly:\n  cron: '30 2 * * *'\n  timezone: Europe/Berlin\n  task: reports.nightly\n  missed: skip\n");
    const { code, stdout, stderr } = await runCli([
      'schedule',
      '--app',
      join(FIXTURES, 'beat-tasks.ts'),
      '--schedule',
      file,
      '--next',
      '2',
      '--from',
      '2026-03-28T12:00:00Z',
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toBe(
      [
        'tick → beat.tick',
        '  schedule: every 1 s; missed slots: run-latest',
        '  options:  queue="beat.test"',
        '  next:     2026-03-28T12:00:01Z',
        '  next:     2026-03-28T12:00:02Z',
        `nightly → reports.nightly  (${file})`,
        "  schedule: cron '30 2 * * *' (Europe/Berlin); missed slots: skip",
        // 02:30 does not exist on 2026-03-29 in Berlin: it fires right after the jump.
        '  next:     2026-03-29 03:00:00 (UTC+2) Europe/Berlin = 2026-03-29T01:00:00Z',
        '  next:     2026-03-30 02:30:00 (UTC+2) Europe/Berlin = 2026-03-30T00:30:00Z',
        '',
      ].join('\n'),
    );
  });

  it('reports every problem of a schedule file at once and exits 1', async () => {
    const file = join(dir, 'beat.yaml');
    writeFileSync(file, "a:\n  cron: '0 3 * * *'\n  tsk: x\nb:\n  every: 0\n  task: y\n");
    const { code, stdout, stderr } = await runCli(['schedule', '--app', join(FIXTURES, 'beat-tasks.ts'), '--schedule', file]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('Invalid taskq configuration, 3 problems:');
    expect(stderr).toContain(`${file} (a.tsk): unknown key 'tsk'; did you mean 'task'?`);
    expect(stderr).toContain(`${file} (a.task): missing: name the task to send`);
    expect(stderr).toContain(`${file} (b.every): expected a number of seconds ≥ 1, found number 0`);
  });

  it('refuses --schedule on a worker without --beat: a command-line mistake, exit 2', async () => {
    const { code, stderr } = await runCli(['worker', '--app', join(FIXTURES, 'beat-tasks.ts'), '--schedule', 'x.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('--schedule and --beat-name go with --beat');
  });
});
