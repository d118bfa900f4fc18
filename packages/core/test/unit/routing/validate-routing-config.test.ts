import { ConfigError } from '../../../src/errors';
import { validateRoutingConfig, checkRoutingConfig, type RawRoutingDocument } from '../../../src/routing';
import { problemsOf } from './config-problems';

const queueDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'queue', data });
const defaultsDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'defaults', data });
const combinedDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'combined', data });

/** Problems of a single queue file `/cfg/<name>.yaml`. */
const queueProblems = (data: unknown, name = 'high') => problemsOf(() => validateRoutingConfig([queueDoc(`/cfg/${name}.yaml`, data)]));
const onlyProblem = (data: unknown, name = 'high') => {
  const problems = queueProblems(data, name);
  expect(problems).toHaveLength(1);
  return problems[0];
};

describe('validateRoutingConfig: normalising a valid queue file', () => {
  it('fills every default for a queue on the default exchange', () => {
    const config = validateRoutingConfig([queueDoc('/cfg/high.yaml', { tasks: 'tasks.add' })]);
    expect(config.sources).toEqual(['/cfg/high.yaml']);
    expect(config.defaults).toEqual({
      defaultQueue: 'celery',
      exchangeType: 'direct',
      maxPriority: 10,
      durable: true,
      queueType: 'classic',
      deliveryLimit: 20,
      initialGroupSize: undefined,
      serializer: 'json',
      priority: undefined,
      ignoreResult: false,
    });
    expect(config.queues).toEqual([
      {
        queue: { name: 'high', durable: true, autoDelete: false, maxPriority: 10, exchange: undefined, bindingKeys: [] },
        routingKey: 'high',
        tasks: ['tasks.add'],
        source: '/cfg/high.yaml',
      },
    ]);
  });

  it('binds to a named exchange with the queue name as default binding and routing key', () => {
    const [route] = validateRoutingConfig([queueDoc('/cfg/work.json', { exchange: 'jobs' })]).queues;
    expect(route?.queue.exchange).toEqual({ name: 'jobs', type: 'direct', durable: true });
    expect(route?.queue.bindingKeys).toEqual(['work']);
    expect(route?.routingKey).toBe('work');
  });

  it('takes the name from `queue`, and keeps every optional setting', () => {
    const [route] = validateRoutingConfig([
      queueDoc('/cfg/file-name.yaml', {
        queue: 'emails',
        exchange: 'mail',
        exchangeType: 'topic',
        bindingKeys: ['mail.#', 'mail.send'],
        maxPriority: 200,
        durable: false,
        autoDelete: true,
        messageTtl: 60000,
        maxLength: 1000,
        deadLetter: { exchange: 'dlx', routingKey: 'emails.dead' },
        tasks: ['mail.*', 'send_email'],
      }),
    ]).queues;
    expect(route).toEqual({
      queue: {
        name: 'emails',
        durable: false,
        autoDelete: true,
        maxPriority: 200,
        messageTtl: 60000,
        maxLength: 1000,
        deadLetter: { exchange: 'dlx', routingKey: 'emails.dead' },
        exchange: { name: 'mail', type: 'topic', durable: true },
        bindingKeys: ['mail.#', 'mail.send'],
      },
      routingKey: 'mail.send', // the first binding key without wildcards
      tasks: ['mail.*', 'send_email'],
      source: '/cfg/file-name.yaml',
    });
  });

  it.each([0, null])('treats maxPriority %p as "no priority"', (value) => {
    const [route] = validateRoutingConfig([queueDoc('/cfg/q.yaml', { maxPriority: value })]).queues;
    expect(route?.queue.maxPriority).toBeUndefined();
  });

  it('applies the defaults file to queues whatever the file order', () => {
    const config = validateRoutingConfig([
      queueDoc('/cfg/a.yaml', { exchange: 'x' }),
      defaultsDoc('/cfg/_defaults.yaml', {
        exchangeType: 'fanout',
        maxPriority: 0,
        durable: false,
        defaultQueue: 'main',
        priority: 3,
        serializer: 'msgpack',
        ignoreResult: true,
      }),
    ]);
    expect(config.defaults).toEqual({
      defaultQueue: 'main',
      exchangeType: 'fanout',
      maxPriority: undefined,
      durable: false,
      queueType: 'classic',
      deliveryLimit: 20,
      initialGroupSize: undefined,
      serializer: 'msgpack',
      priority: 3,
      ignoreResult: true,
    });
    expect(config.queues[0]?.queue).toMatchObject({
      durable: false,
      maxPriority: undefined,
      exchange: { name: 'x', type: 'fanout', durable: false },
    });
  });

  it("uses the type and durability of RabbitMQ's built-in exchanges", () => {
    const config = validateRoutingConfig([
      defaultsDoc('/cfg/_defaults.yaml', { durable: false }),
      queueDoc('/cfg/t.yaml', { exchange: 'amq.topic', bindingKeys: 't.#', routingKey: 't.x' }),
    ]);
    expect(config.queues[0]?.queue.exchange).toEqual({ name: 'amq.topic', type: 'topic', durable: true });
  });

  it('shares one exchange declaration between queues bound to the same exchange', () => {
    const { queues } = validateRoutingConfig([queueDoc('/cfg/a.yaml', { exchange: 'x' }), queueDoc('/cfg/b.yaml', { exchange: 'x' })]);
    expect(queues[0]?.queue.exchange).toBe(queues[1]?.queue.exchange);
  });

  it('accepts a routingKey that matches a topic binding, and any routingKey for fanout', () => {
    expect(
      validateRoutingConfig([queueDoc('/cfg/a.yaml', { exchange: 'e', exchangeType: 'topic', bindingKeys: ['a.*'], routingKey: 'a.b' })])
        .queues[0]?.routingKey,
    ).toBe('a.b');
    expect(
      validateRoutingConfig([queueDoc('/cfg/a.yaml', { exchange: 'f', exchangeType: 'fanout', routingKey: 'whatever' })]).queues[0]
        ?.routingKey,
    ).toBe('whatever');
  });

  it('is fine with a defaultQueue that no file declares, and with no documents at all', () => {
    expect(validateRoutingConfig([defaultsDoc('/cfg/_defaults.yaml', { defaultQueue: 'nowhere' })]).queues).toEqual([]);
    expect(validateRoutingConfig([])).toEqual({ defaults: expect.objectContaining({ defaultQueue: 'celery' }), queues: [], sources: [] });
  });
});

describe('validateRoutingConfig: problems in a queue file', () => {
  it('reports an unknown key with the closest known key', () => {
    expect(onlyProblem({ maxPriorty: 5 })).toEqual({
      file: '/cfg/high.yaml',
      key: 'maxPriorty',
      message: "unknown key 'maxPriorty'; did you mean 'maxPriority'?",
    });
    expect(onlyProblem({ dead_letter: { exchange: 'x' } })?.message).toContain("did you mean 'deadLetter'?");
  });

  it('lists the known keys when nothing is close', () => {
    const p = onlyProblem({ colour: 'red' });
    expect(p?.key).toBe('colour');
    expect(p?.message).toMatch(/^unknown key 'colour'; expected one of queue, exchange, .*tasks$/);
  });

  it.each([
    [{ queue: 5 }, 'queue', 'expected a non-empty string, found number 5'],
    [{ queue: '' }, 'queue', 'expected a non-empty string, found an empty string'],
    [{ exchange: ['x'] }, 'exchange', 'expected a string, found a list of 1 item'],
    [
      { exchange: 'e', exchangeType: 'topics' },
      'exchangeType',
      "expected one of direct, topic, fanout, headers, found string 'topics'; did you mean 'topic'?",
    ],
    [{ maxPriority: 300 }, 'maxPriority', 'expected an integer from 1 to 255 (or 0/null for no priority), found 300'],
    [{ maxPriority: '10' }, 'maxPriority', "expected an integer from 1 to 255 (or 0/null for no priority), found string '10'"],
    [{ maxPriority: 2.5 }, 'maxPriority', 'expected an integer from 1 to 255 (or 0/null for no priority), found 2.5'],
    [{ maxPriority: -1 }, 'maxPriority', 'expected an integer from 1 to 255 (or 0/null for no priority), found -1'],
    [{ durable: 'yes' }, 'durable', "expected true or false, found string 'yes'"],
    [{ autoDelete: null }, 'autoDelete', 'expected true or false, found null'],
    [{ messageTtl: 0 }, 'messageTtl', 'expected a positive integer of milliseconds (at most 4294967295), found 0'],
    [{ messageTtl: '5s' }, 'messageTtl', "expected a positive integer of milliseconds (at most 4294967295), found string '5s'"],
    [{ maxLength: -5 }, 'maxLength', 'expected a positive integer, found -5'],
    [{ tasks: 5 }, 'tasks', 'expected a task name or a list of task names, found number 5'],
    [{ tasks: { a: 1 } }, 'tasks', 'expected a task name or a list of task names, found a mapping'],
    [{ deadLetter: 'dlx' }, 'deadLetter', "expected a mapping with 'exchange' and optionally 'routingKey', found string 'dlx'"],
    [{ deadLetter: { exchange: 5 } }, 'deadLetter.exchange', 'expected a string, found number 5'],
  ])('%p → %s: %s', (data, key, message) => {
    expect(onlyProblem(data)).toEqual({ file: '/cfg/high.yaml', key, message });
  });

  it('points at the bad element of a list', () => {
    const problems = queueProblems({ tasks: ['tasks.a', 'tasks.b', 7, ''], exchange: 'e', bindingKeys: ['high', false] });
    expect(problems).toEqual([
      { file: '/cfg/high.yaml', key: 'bindingKeys[1]', message: 'expected a binding key (a string), found boolean false' },
      { file: '/cfg/high.yaml', key: 'tasks[2]', message: 'expected a task name (a non-empty string), found number 7' },
      { file: '/cfg/high.yaml', key: 'tasks[3]', message: 'expected a task name (a non-empty string), found an empty string' },
    ]);
  });

  it('rejects exchangeType and bindingKeys on the default exchange', () => {
    const problems = queueProblems({ exchangeType: 'topic', bindingKeys: ['a'] });
    expect(problems.map((p) => p.key)).toEqual(['exchangeType', 'bindingKeys']);
    expect(problems[0]?.message).toContain("must not be set when 'exchange' is ''");
    expect(problems[1]?.message).toContain('cannot be bound');
    // An explicit '' is the default exchange too.
    expect(queueProblems({ exchange: '', bindingKeys: 'a' }).map((p) => p.key)).toEqual(['bindingKeys']);
  });

  it('does not pile "default exchange" problems onto an invalid exchange', () => {
    expect(queueProblems({ exchange: 7, exchangeType: 'topic' }).map((p) => p.key)).toEqual(['exchange']);
  });

  it('rejects an empty bindingKeys list', () => {
    expect(onlyProblem({ exchange: 'e', bindingKeys: [] })).toEqual({
      file: '/cfg/high.yaml',
      key: 'bindingKeys',
      message: 'expected at least one binding key, found an empty list',
    });
  });

  it('requires routingKey when every topic binding key has wildcards', () => {
    const p = onlyProblem({ exchange: 'events', exchangeType: 'topic', bindingKeys: ['reports.*', '#.urgent'] });
    expect(p?.key).toBe('routingKey');
    expect(p?.message).toContain("every binding key of topic exchange 'events' has wildcards ('reports.*', '#.urgent')");
    // A literal binding key lets taskq pick the routing key itself.
    expect(() =>
      validateRoutingConfig([queueDoc('/cfg/a.yaml', { exchange: 'e', exchangeType: 'topic', bindingKeys: ['a.*', 'a.b'] })]),
    ).not.toThrow();
  });

  it('requires a topic routingKey to match a binding key', () => {
    const p = onlyProblem({ exchange: 'e', exchangeType: 'topic', bindingKeys: ['reports.*'], routingKey: 'reports.daily.pdf' });
    expect(p?.key).toBe('routingKey');
    expect(p?.message).toBe(
      "expected a routing key matching one of the binding keys ('reports.*'), found 'reports.daily.pdf'; messages sent with it would not reach queue 'high'",
    );
  });

  it('requires a direct routingKey to equal a binding key', () => {
    const p = onlyProblem({ exchange: 'e', bindingKeys: ['a', 'b'], routingKey: 'c' });
    expect(p?.key).toBe('routingKey');
    expect(p?.message).toContain("expected one of the binding keys ('a', 'b'), found 'c'");
    expect(queueProblems({ exchange: 'e', routingKey: 'other' })[0]?.message).toContain("binding keys ('high')");
  });

  it('requires the queue name as routingKey on the default exchange', () => {
    const p = onlyProblem({ routingKey: 'low' });
    expect(p?.key).toBe('routingKey');
    expect(p?.message).toContain("expected the queue name 'high' (the default exchange routes by queue name), found 'low'");
  });

  it('checks deadLetter keys and the default-exchange cycle', () => {
    expect(queueProblems({ deadLetter: { exchange: 'dlx', routingkey: 'x' } })[0]).toEqual({
      file: '/cfg/high.yaml',
      key: 'deadLetter.routingkey',
      message: "unknown key 'routingkey'; did you mean 'routingKey'?",
    });
    expect(onlyProblem({ deadLetter: { routingKey: 'dead' } })?.key).toBe('deadLetter.exchange');
    const cycle = onlyProblem({ deadLetter: { exchange: '' } });
    expect(cycle?.key).toBe('deadLetter.routingKey');
    expect(cycle?.message).toContain("back into queue 'high'");
    expect(onlyProblem({ deadLetter: { exchange: '', routingKey: 'high' } })?.message).toContain("another queue than 'high'");
    expect(() => validateRoutingConfig([queueDoc('/cfg/q.yaml', { deadLetter: { exchange: '', routingKey: 'dead' } })])).not.toThrow();
  });

  it("rejects names in RabbitMQ's reserved amq. namespace", () => {
    expect(onlyProblem({ queue: 'amq.jobs' })?.key).toBe('queue');
    const fromFileName = onlyProblem({}, 'amq.jobs');
    expect(fromFileName).toMatchObject({ file: '/cfg/amq.jobs.yaml', key: '' });
    expect(fromFileName?.message).toContain("starts with 'amq.'");
    expect(onlyProblem({ exchange: 'amq.custom' })?.key).toBe('exchange');
    expect(onlyProblem({ exchange: 'amq.fanout', exchangeType: 'direct' })?.message).toContain("expected 'fanout'");
  });

  it('limits AMQP names and keys to 255 bytes', () => {
    const p = onlyProblem({ exchange: 'é'.repeat(128) });
    expect(p?.key).toBe('exchange');
    expect(p?.message).toBe('expected at most 255 bytes (an AMQP limit), found a string of 256 bytes');
  });

  it('reports an empty file and a non-mapping top level', () => {
    expect(onlyProblem(null)).toEqual({
      file: '/cfg/high.yaml',
      key: '',
      message: 'file is empty; expected a mapping with queue settings',
    });
    expect(onlyProblem(['tasks.add'])).toEqual({
      file: '/cfg/high.yaml',
      key: '',
      message: 'expected a mapping with queue settings at the top level, found a list of 1 item',
    });
    expect(onlyProblem('just text')?.message).toContain("found string 'just text'");
  });

  it('collects every problem of every file into one ConfigError', () => {
    let error: unknown;
    try {
      validateRoutingConfig([
        queueDoc('/cfg/a.yaml', { maxPriority: 300, durable: 'no' }),
        defaultsDoc('/cfg/_defaults.yaml', { serializer: '' }),
        queueDoc('/cfg/b.yaml', { tasks: [1] }),
      ]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => `${p.file}:${p.key}`).sort()).toEqual([
      '/cfg/_defaults.yaml:serializer',
      '/cfg/a.yaml:durable',
      '/cfg/a.yaml:maxPriority',
      '/cfg/b.yaml:tasks[0]',
    ]);
    expect((error as ConfigError).code).toBe('CONFIG_INVALID');
    expect((error as ConfigError).message).toContain('4 problems');
    expect((error as ConfigError).message).toContain('/cfg/a.yaml (maxPriority): expected an integer from 1 to 255');
  });

  it('checkRoutingConfig returns the problems instead of throwing', () => {
    const { problems, config } = checkRoutingConfig([queueDoc('/cfg/a.yaml', { maxLength: 0, tasks: 't' })]);
    expect(problems).toHaveLength(1);
    expect(config.queues[0]?.tasks).toEqual(['t']);
  });
});

describe('validateRoutingConfig: problems in defaults', () => {
  it.each([
    [{ defaultQueue: 5 }, 'defaultQueue', 'expected a non-empty string, found number 5'],
    [
      { exchangeType: 'Direct' },
      'exchangeType',
      "expected one of direct, topic, fanout, headers, found string 'Direct'; did you mean 'direct'?",
    ],
    [{ maxPriority: 256 }, 'maxPriority', 'expected an integer from 1 to 255 (or 0/null for no priority), found 256'],
    [{ durable: 1 }, 'durable', 'expected true or false, found number 1'],
    [{ serializer: '' }, 'serializer', 'expected a non-empty string, found an empty string'],
    [{ priority: 300 }, 'priority', 'expected an integer from 0 to 255, found 300'],
    [{ ignoreResult: 'false' }, 'ignoreResult', "expected true or false, found string 'false'"],
    [{ defaultqueue: 'x' }, 'defaultqueue', "unknown key 'defaultqueue'; did you mean 'defaultQueue'?"],
  ])('%p → %s', (data, key, message) => {
    expect(problemsOf(() => validateRoutingConfig([defaultsDoc('/cfg/_defaults.yml', data)]))).toEqual([
      { file: '/cfg/_defaults.yml', key, message },
    ]);
  });

  it('reports an empty defaults file', () => {
    expect(problemsOf(() => validateRoutingConfig([defaultsDoc('/cfg/_defaults.yaml', null)]))).toEqual([
      { file: '/cfg/_defaults.yaml', key: '', message: 'file is empty; expected a mapping with default settings' },
    ]);
  });

  it('keeps going with the built-in value of a wrong default', () => {
    const { config } = checkRoutingConfig([
      defaultsDoc('/cfg/_defaults.yaml', { maxPriority: 999, durable: false }),
      queueDoc('/cfg/q.yaml', {}),
    ]);
    expect(config.queues[0]?.queue).toMatchObject({ maxPriority: 10, durable: false });
  });

  it('reports defaults declared in two files, naming the first', () => {
    expect(
      problemsOf(() => validateRoutingConfig([defaultsDoc('/cfg/_defaults.json', {}), defaultsDoc('/cfg/_defaults.yaml', {})])),
    ).toEqual([
      { file: '/cfg/_defaults.yaml', key: '', message: 'app-wide defaults are already set in /cfg/_defaults.json; keep them in one place' },
    ]);
  });
});

describe('validateRoutingConfig: the single-file form', () => {
  it('reads defaults and queues keyed by name, in file order', () => {
    const config = validateRoutingConfig([
      combinedDoc('/etc/taskq.yaml', {
        defaults: { maxPriority: 5, defaultQueue: 'low' },
        queues: { high: { tasks: ['tasks.urgent'] }, low: null, events: { queue: 'events', exchange: 'ev', exchangeType: 'fanout' } },
      }),
    ]);
    expect(config.defaults.defaultQueue).toBe('low');
    expect(config.queues.map((q) => [q.queue.name, q.queue.maxPriority, q.source])).toEqual([
      ['high', 5, '/etc/taskq.yaml'],
      ['low', 5, '/etc/taskq.yaml'],
      ['events', 5, '/etc/taskq.yaml'],
    ]);
    expect(config.sources).toEqual(['/etc/taskq.yaml']);
  });

  it('prefixes problem keys with queues.<name> and defaults', () => {
    const problems = problemsOf(() =>
      validateRoutingConfig([
        combinedDoc('/etc/taskq.yaml', {
          defaults: { maxPriority: 'high' },
          queues: { high: { maxPriority: 300, deadLetter: { exchange: 1 } }, low: { queue: 'lower' }, bad: [1] },
          extra: true,
        }),
      ]),
    );
    expect(problems.map((p) => [p.file, p.key])).toEqual([
      ['/etc/taskq.yaml', 'defaults.maxPriority'],
      ['/etc/taskq.yaml', 'extra'],
      ['/etc/taskq.yaml', 'queues.high.maxPriority'],
      ['/etc/taskq.yaml', 'queues.high.deadLetter.exchange'],
      ['/etc/taskq.yaml', 'queues.low.queue'],
      ['/etc/taskq.yaml', 'queues.bad'],
    ]);
    expect(problems[4]?.message).toBe("expected the queue's key 'low', found 'lower'; rename the key or remove 'queue'");
    expect(problems[5]?.message).toBe('expected a mapping of queue settings, found a list of 1 item');
  });

  it('requires a queues mapping', () => {
    const missing = problemsOf(() => validateRoutingConfig([combinedDoc('/etc/taskq.yaml', { defaults: {} })]));
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatchObject({ key: 'queues' });
    expect(missing[0]?.message).toContain('pass the directory');
    expect(problemsOf(() => validateRoutingConfig([combinedDoc('/etc/taskq.yaml', { queues: ['a'] })]))).toEqual([
      { file: '/etc/taskq.yaml', key: 'queues', message: 'expected a mapping of queue name to queue settings, found a list of 1 item' },
    ]);
    expect(problemsOf(() => validateRoutingConfig([combinedDoc('/etc/taskq.yaml', null)]))[0]?.message).toBe(
      "file is empty; expected a mapping with 'queues' (and optionally 'defaults')",
    );
  });
});

describe('validateRoutingConfig: checks across files', () => {
  it('reports a queue declared in two files, naming the first', () => {
    const problems = problemsOf(() =>
      validateRoutingConfig([
        queueDoc('/cfg/high.yaml', {}),
        queueDoc('/cfg/urgent.yaml', { queue: 'high' }),
        queueDoc('/cfg/high.json', {}),
      ]),
    );
    expect(problems).toEqual([
      { file: '/cfg/urgent.yaml', key: 'queue', message: "queue 'high' is already declared in /cfg/high.yaml; declare each queue once" },
      { file: '/cfg/high.json', key: '', message: "queue 'high' is already declared in /cfg/high.yaml; declare each queue once" },
    ]);
  });

  it('reports a task name listed in two queues, and the same glob twice', () => {
    const problems = problemsOf(() =>
      validateRoutingConfig([
        queueDoc('/cfg/a.yaml', { tasks: ['tasks.add', 'reports.*'] }),
        queueDoc('/cfg/b.yaml', { tasks: ['tasks.mul', 'tasks.add', 'reports.*'] }),
      ]),
    );
    expect(problems).toEqual([
      {
        file: '/cfg/b.yaml',
        key: 'tasks[1]',
        message: "task 'tasks.add' is already routed to queue 'a' by /cfg/a.yaml; list each task in one queue only",
      },
      {
        file: '/cfg/b.yaml',
        key: 'tasks[2]',
        message: "pattern 'reports.*' is already routed to queue 'a' by /cfg/a.yaml; the same pattern in a second queue would never match",
      },
    ]);
  });

  it('allows a task listed twice in the same queue and overlapping globs in different queues', () => {
    expect(() =>
      validateRoutingConfig([
        queueDoc('/cfg/a.yaml', { tasks: ['t', 't', 'reports.*'] }),
        queueDoc('/cfg/b.yaml', { tasks: 'reports.daily.*' }),
      ]),
    ).not.toThrow();
  });

  it('reports one exchange declared with two types, naming both files', () => {
    const problems = problemsOf(() =>
      validateRoutingConfig([
        queueDoc('/cfg/a.yaml', { exchange: 'events' }),
        queueDoc('/cfg/b.yaml', { exchange: 'events', exchangeType: 'topic', routingKey: 'b' }),
      ]),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: '/cfg/b.yaml', key: 'exchangeType' });
    expect(problems[0]?.message).toContain("exchange 'events' is declared as 'topic' here but as 'direct' in /cfg/a.yaml (queue 'a')");
  });

  it('blames the exchange key when the type came from the defaults', () => {
    const problems = problemsOf(() =>
      validateRoutingConfig([
        queueDoc('/cfg/a.yaml', { exchange: 'events', exchangeType: 'fanout' }),
        queueDoc('/cfg/b.yaml', { exchange: 'events' }),
      ]),
    );
    expect(problems).toEqual([expect.objectContaining({ file: '/cfg/b.yaml', key: 'exchange' })]);
  });
});
