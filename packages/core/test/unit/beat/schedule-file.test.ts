import { ConfigError, createApp, cron, crontab, every, parseScheduleFile, slotTaskId } from '../../../src';

describe('schedule files', () => {
  it('reads one entry per key, with cron, crontab or every, in YAML and JSON', () => {
    const entries = parseScheduleFile(
      'beat.yaml',
      [
        'nightly-report:',
        "  cron: '0 3 * * *'",
        '  timezone: Europe/Berlin',
        '  task: reports.nightly',
        '  args: [today]',
        '  options: { queue: reports, priority: 5, expires: 600 }',
        'weekday-mornings:',
        '  crontab: { minute: 30, hour: 7, dayOfWeek: mon-fri }',
        '  task: mail.digest',
        '  missed: skip',
        'heartbeat:',
        '  every: 10',
        '  task: ops.heartbeat',
        '  kwargs: { verbose: true }',
        '  startingDeadline: 30',
      ].join('\n'),
    );
    expect(entries.map((e) => e.name)).toEqual(['nightly-report', 'weekday-mornings', 'heartbeat']);
    const [nightly, mornings, heartbeat] = entries.map((e) => e.entry);
    expect(nightly).toMatchObject({ task: 'reports.nightly', args: ['today'], options: { queue: 'reports', priority: 5, expires: 600 } });
    expect(nightly!.schedule.description).toBe("cron '0 3 * * *' (Europe/Berlin)");
    expect(nightly!.schedule.next(new Date('2026-01-10T00:00:00Z')).toISOString()).toBe('2026-01-10T02:00:00.000Z');
    expect(mornings).toMatchObject({ task: 'mail.digest', missed: 'skip' });
    expect(mornings!.schedule.next(new Date('2026-05-01T08:00:00Z')).toISOString()).toBe('2026-05-04T07:30:00.000Z');
    expect(heartbeat).toMatchObject({ task: 'ops.heartbeat', kwargs: { verbose: true }, startingDeadline: 30 });

    const json = parseScheduleFile('beat.json', JSON.stringify({ tick: { every: 5, task: 'ops.tick' } }));
    expect(json[0]!.entry.schedule.description).toBe('every 5 s');
  });

  it('reports every problem at once, with the file, the entry key, what was found and what was expected', () => {
    let error: ConfigError | undefined;
    try {
      parseScheduleFile(
        '/etc/app/beat.yaml',
        [
          'a:',
          "  cron: '61 * * * *'",
          '  task: x',
          'b:',
          '  every: 10',
          "  cron: '* * * * *'",
          '  task: y',
          'c:',
          '  crontab: { hours: 3 }',
          '  task: z',
          'd:',
          '  every: 5',
          'e:',
          '  every: 5',
          '  task: w',
          '  misssed: skip',
          '  options: { priority: 300, queues: q }',
          'f:',
          "  cron: '0 3 * * *'",
          '  timezone: Mars/Olympus',
          '  task: v',
        ].join('\n'),
      );
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = error!.problems.map((p) => `${p.file} ${p.key}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/etc\/app\/beat\.yaml a\.cron: /),
        expect.stringMatching(/ b: found cron and every: give exactly one of cron, crontab or every$/),
        expect.stringMatching(/ c\.crontab\.hours: unknown key 'hours'; did you mean 'hour'\?$/),
        expect.stringMatching(/ d\.task: missing/),
        expect.stringMatching(/ e\.misssed: unknown key 'misssed'; did you mean 'missed'\?$/),
        expect.stringMatching(/ e\.options\.priority: expected an integer from 0 to 255, found 300$/),
        expect.stringMatching(/ e\.options\.queues: unknown key 'queues'; did you mean 'queue'\?$/),
        expect.stringMatching(/ f\.cron: unknown time zone "Mars\/Olympus"/),
      ]),
    );
    expect(problems).toHaveLength(8);
  });

  it('refuses a file that is not a mapping of entries, and YAML that is not plain data', () => {
    expect(() => parseScheduleFile('beat.yaml', '- a\n- b\n')).toThrow(/expected a mapping of entry names to entries/);
    expect(() => parseScheduleFile('beat.yaml', 'a: !!js/function "x"\n')).toThrow(ConfigError);
  });
});

describe('app.schedule()', () => {
  it('registers entries in code, with the same checks, and refuses a name used twice', async () => {
    const app = createApp({ brokerUrl: 'memory://schedule-registry' });
    app.schedule('nightly', { schedule: cron('0 3 * * *'), task: 'reports.nightly', args: ['today'], options: { queue: 'reports' } });
    expect(app.schedules.entries().map((e) => [e.name, e.task, e.missed, e.source])).toEqual([
      ['nightly', 'reports.nightly', 'run-latest', 'code'],
    ]);
    expect(() => app.schedule('nightly', { schedule: every(5), task: 'x' })).toThrow(/defined twice \(code and code\)/);
    expect(() => app.schedule('bad', { schedule: '0 3 * * *' as never, task: 'x' })).toThrow(/made by cron\(\), crontab\(\) or every\(\)/);
    expect(() => app.schedule('bad', { schedule: every(5), task: '' })).toThrow(/task must be a task name/);
    expect(() => app.schedule('bad', { schedule: every(5), task: 'x', options: { countdown: 5 } as never })).toThrow(
      /unknown send option 'countdown'/,
    );
    expect(() => app.schedule('bad', { schedule: every(5), task: 'x', missed: 'all' as never })).toThrow(
      /missed must be 'run-latest' or 'skip'/,
    );
    await app.close();
  });

  it('gives each slot of each entry the same task id everywhere (UUID v5 of entry and slot)', () => {
    const slot = new Date('2026-05-01T03:00:00Z');
    expect(slotTaskId('nightly', slot)).toBe(slotTaskId('nightly', new Date(slot.getTime())));
    expect(slotTaskId('nightly', slot)).not.toBe(slotTaskId('nightly', new Date('2026-05-02T03:00:00Z')));
    expect(slotTaskId('nightly', slot)).not.toBe(slotTaskId('weekly', slot));
    expect(slotTaskId('nightly', slot)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("the app's timezone option", () => {
  it('is the zone of schedules made without one, and leaves explicit zones and every() alone', async () => {
    const app = createApp({ brokerUrl: 'memory://schedule-zone', timezone: 'America/New_York' });
    const plain = app.schedule('plain', { schedule: cron('0 3 * * *'), task: 't' });
    const celery = app.schedule('celery', { schedule: crontab({ hour: 3, minute: 0 }), task: 't' });
    const explicit = app.schedule('explicit', { schedule: cron('0 3 * * *', { timezone: 'UTC' }), task: 't' });
    const period = app.schedule('period', { schedule: every(60), task: 't' });
    const from = new Date('2026-01-10T00:00:00Z');
    expect(plain.schedule.timezone).toBe('America/New_York');
    expect(plain.schedule.next(from).toISOString()).toBe('2026-01-10T08:00:00.000Z'); // 03:00 EST
    expect(celery.schedule.next(from).toISOString()).toBe('2026-01-10T08:00:00.000Z');
    expect(explicit.schedule.next(from).toISOString()).toBe('2026-01-10T03:00:00.000Z');
    expect(period.schedule.timezone).toBe('UTC');
    await app.close();
  });

  it('must be an IANA zone', () => {
    expect(() => createApp({ brokerUrl: 'memory://schedule-zone-bad', timezone: 'CEST' })).toThrow(/unknown time zone "CEST"/);
  });
});
