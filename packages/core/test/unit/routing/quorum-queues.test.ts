import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateRoutingConfig, validateRoutingDefaults, evenBands, parseConfigText, type RawRoutingDocument } from '../../../src/routing';
import { problemsOf } from './config-problems';

const queueDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'queue', data });
const defaultsDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'defaults', data });
const combinedDoc = (file: string, data: unknown): RawRoutingDocument => ({ file, kind: 'combined', data });

/** The one queue route of `/cfg/<name>.yaml`. */
const route = (data: unknown, name = 'orders', defaults?: unknown) => {
  const docs = [queueDoc(`/cfg/${name}.yaml`, data)];
  if (defaults !== undefined) docs.unshift(defaultsDoc('/cfg/_defaults.yaml', defaults));
  const [only] = validateRoutingConfig(docs).queues;
  if (!only) throw new Error('no queue');
  return only;
};
const problems = (data: unknown, defaults?: unknown) => {
  const docs = [queueDoc('/cfg/orders.yaml', data)];
  if (defaults !== undefined) docs.unshift(defaultsDoc('/cfg/_defaults.yaml', defaults));
  return problemsOf(() => validateRoutingConfig(docs));
};

describe('queueType in routing files', () => {
  it('declares a quorum queue with the default delivery limit, no priority and no bands', () => {
    const { queue, bands } = route({ queueType: 'quorum' });
    expect(queue).toEqual({
      name: 'orders',
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      queueType: 'quorum',
      deliveryLimit: 20,
      exchange: undefined,
      bindingKeys: [],
    });
    expect(bands).toBeUndefined();
  });

  it('keeps classic queues as they were (no queueType field unless set)', () => {
    expect(route({}).queue).not.toHaveProperty('queueType');
    expect(route({ queueType: 'classic' }).queue).toMatchObject({ queueType: 'classic', maxPriority: 10 });
    expect(route({ queueType: 'classic' }).queue).not.toHaveProperty('deliveryLimit');
  });

  it('takes queueType, deliveryLimit and initialGroupSize from the defaults, and lets a queue override them', () => {
    const defaults = { queueType: 'quorum', deliveryLimit: 5, initialGroupSize: 3 };
    expect(route({}, 'orders', defaults).queue).toMatchObject({ queueType: 'quorum', deliveryLimit: 5, initialGroupSize: 3 });
    expect(route({ deliveryLimit: 7, initialGroupSize: 1 }, 'orders', defaults).queue).toMatchObject({
      deliveryLimit: 7,
      initialGroupSize: 1,
    });
    const classic = route({ queueType: 'classic' }, 'orders', defaults).queue;
    expect(classic).not.toHaveProperty('deliveryLimit');
    expect(classic).not.toHaveProperty('initialGroupSize');
  });

  it('allows messageTtl, maxLength and deadLetter on a quorum queue', () => {
    const { queue } = route({ queueType: 'quorum', messageTtl: 1000, maxLength: 50, deadLetter: { exchange: 'dlx', routingKey: 'k' } });
    expect(queue).toMatchObject({ messageTtl: 1000, maxLength: 50, deadLetter: { exchange: 'dlx', routingKey: 'k' } });
  });

  it('reads the single-file form', () => {
    const config = validateRoutingConfig([
      combinedDoc('/cfg/taskq.yaml', {
        defaults: { queueType: 'quorum' },
        queues: { a: {}, b: { queueType: 'classic' }, c: { maxPriority: 9, priorityBands: ['0-4', '5-9'] } },
      }),
    ]);
    expect(config.queues.map((q) => q.queue.queueType)).toEqual(['quorum', 'classic', 'quorum']);
    expect(config.queues[2]?.bands?.map((b) => b.queue.name)).toEqual(['c', 'c.p5-9']);
  });
});

describe('quorum validation: every problem at once, with file and key', () => {
  it('refuses an unknown queue type with a suggestion', () => {
    expect(problems({ queueType: 'quorom' })).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: 'queueType',
        message: "expected one of classic, quorum, found string 'quorom'; did you mean 'quorum'?",
      },
    ]);
    expect(problems({ deliverylimit: 3 })[0]?.message).toBe("unknown key 'deliverylimit'; did you mean 'deliveryLimit'?");
  });

  it('refuses quorum-only keys on a classic queue, saying to set queueType: quorum', () => {
    const found = problems({ deliveryLimit: 3, initialGroupSize: 3, priorityBands: ['0-4', '5-10'] });
    expect(found.map((p) => p.key)).toEqual(['deliveryLimit', 'initialGroupSize', 'priorityBands']);
    expect(found[0]?.message).toBe(
      "only applies to quorum queues, but queue 'orders' is classic (the default queueType); set queueType: quorum on this queue, or remove 'deliveryLimit'",
    );
    expect(problems({ queueType: 'classic', deliveryLimit: 3 })[0]?.message).toContain("queue 'orders' is classic; set queueType: quorum");
  });

  it('refuses a transient or auto-delete quorum queue, and wrong limits, all in one run', () => {
    expect(problems({ queueType: 'quorum', durable: false, autoDelete: true, deliveryLimit: 0, initialGroupSize: 1.5 })).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: 'durable',
        message:
          'expected true for a quorum queue (quorum queues are always durable (replicated to disk on several nodes)), found false; remove it, or set queueType: classic',
      },
      {
        file: '/cfg/orders.yaml',
        key: 'autoDelete',
        message:
          'expected false for a quorum queue (RabbitMQ cannot auto-delete quorum queues), found true; remove it, or set queueType: classic',
      },
      { file: '/cfg/orders.yaml', key: 'deliveryLimit', message: 'expected a whole number of deliveries, at least 1, found 0' },
      { file: '/cfg/orders.yaml', key: 'initialGroupSize', message: 'expected a whole number of nodes, at least 1, found 1.5' },
    ]);
  });

  it('blames queueType when a transient default meets a quorum queue', () => {
    const found = problems({ queueType: 'quorum' }, { durable: false });
    expect(found).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: 'queueType',
        message: expect.stringContaining('but the defaults set durable: false; set durable: true on this queue') as unknown,
      },
    ]);
    expect(route({ queueType: 'quorum', durable: true }, 'orders', { durable: false }).queue.durable).toBe(true);
  });

  it('checks the defaults: quorum with durable: false, wrong limits', () => {
    const found = problemsOf(() => validateRoutingDefaults({ queueType: 'quorum', durable: false, deliveryLimit: -1 }));
    expect(found.map((p) => [p.key, p.message])).toEqual([
      ['deliveryLimit', 'expected a whole number of deliveries, at least 1, found -1'],
      [
        'durable',
        'expected durable: true with queueType: quorum (quorum queues are always durable), found durable: false; ' +
          "remove 'durable: false', or set queueType: classic",
      ],
    ]);
    expect(validateRoutingDefaults({ queueType: 'quorum', deliveryLimit: 3, initialGroupSize: 5 })).toMatchObject({
      queueType: 'quorum',
      deliveryLimit: 3,
      initialGroupSize: 5,
    });
  });
});

describe('priority bands of quorum queues', () => {
  it('splits 0..maxPriority into three even bands by default, lower bands taking the remainder', () => {
    expect(evenBands(9)).toEqual([
      [0, 3],
      [4, 6],
      [7, 9],
    ]);
    expect(evenBands(10)).toEqual([
      [0, 3],
      [4, 7],
      [8, 10],
    ]);
    expect(evenBands(2)).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    expect(evenBands(1)).toEqual([
      [0, 0],
      [1, 1],
    ]);
  });

  it('gives a quorum queue with its own maxPriority one queue per band; the lowest keeps name and bindings', () => {
    const { queue, bands } = route({ queueType: 'quorum', maxPriority: 9, exchange: 'shop', deliveryLimit: 4, messageTtl: 60_000 });
    expect(queue).toMatchObject({ name: 'orders', maxPriority: 9, exchange: { name: 'shop' }, bindingKeys: ['orders'] });
    expect(bands?.map((b) => [b.min, b.max, b.queue.name])).toEqual([
      [0, 3, 'orders'],
      [4, 6, 'orders.p4-6'],
      [7, 9, 'orders.p7-9'],
    ]);
    expect(bands?.[0]?.queue).toBe(queue);
    expect(bands?.[2]?.queue).toEqual({
      name: 'orders.p7-9',
      durable: true,
      autoDelete: false,
      maxPriority: undefined,
      queueType: 'quorum',
      deliveryLimit: 4,
      messageTtl: 60_000,
      exchange: undefined,
      bindingKeys: [],
    });
  });

  it('does not give every quorum queue bands through the app-wide maxPriority', () => {
    expect(route({}, 'orders', { queueType: 'quorum', maxPriority: 10 }).bands).toBeUndefined();
    expect(route({ queueType: 'quorum', maxPriority: 0 }).bands).toBeUndefined();
  });

  it('reads priorityBands given as low-high strings', () => {
    const { bands } = route({ queueType: 'quorum', maxPriority: 5, priorityBands: ['0-0', '1-5'] });
    expect(bands?.map((b) => b.queue.name)).toEqual(['orders', 'orders.p1-5']);
  });

  it.each([
    [
      { priorityBands: '0-9' },
      'priorityBands',
      "expected a list of bands covering 0 to maxPriority 9, e.g. ['0-3', '4-6', '7-9'], found string '0-9'",
    ],
    [
      { priorityBands: ['0-9'] },
      'priorityBands',
      "expected at least 2 bands covering 0 to maxPriority 9, e.g. ['0-3', '4-6', '7-9'], found a list of 1 item",
    ],
    [{ priorityBands: [[0, 4], '5-9'] }, 'priorityBands[0]', "expected a band 'low-high' such as '4-6', found a list of 2 items"],
    [{ priorityBands: ['1-4', '5-9'] }, 'priorityBands[0]', "expected a band starting at 0 (the lowest priority), found '1-4'"],
    [
      { priorityBands: ['0-4', '4-9'] },
      'priorityBands[1]',
      "expected a band starting at 5 (right after '0-4'; bands must not overlap or leave gaps), found '4-9'",
    ],
    [
      { priorityBands: ['0-3', '5-9'] },
      'priorityBands[1]',
      "expected a band starting at 4 (right after '0-3'; bands must not overlap or leave gaps), found '5-9'",
    ],
    [{ priorityBands: ['0-4', '9-5'] }, 'priorityBands[1]', "expected the low priority first ('5-9'), found '9-5'"],
    [{ priorityBands: ['0-4', '5-8'] }, 'priorityBands', "expected the last band to end at maxPriority 9, found '5-8'"],
    [{ priorityBands: ['0-4', '5-12'] }, 'priorityBands[1]', "expected a band ending at most at maxPriority 9, found '5-12'"],
  ])('refuses priorityBands %j', (settings, key, message) => {
    expect(problems({ queueType: 'quorum', maxPriority: 9, ...settings })).toEqual([{ file: '/cfg/orders.yaml', key, message }]);
  });

  it('needs a maxPriority on the queue for priorityBands', () => {
    expect(problems({ queueType: 'quorum', priorityBands: ['0-4', '5-9'] })).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: 'priorityBands',
        message: "needs 'maxPriority' on this queue (the highest priority of the highest band); set maxPriority, or remove 'priorityBands'",
      },
    ]);
  });

  it('refuses a band queue name over 255 bytes, and one another file declares as a queue', () => {
    const long = 'q'.repeat(251);
    expect(problems({ queue: long, queueType: 'quorum', maxPriority: 9 })).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: 'maxPriority',
        message: `band queue '${long.slice(0, 57)}...' would be 256 bytes, over the AMQP limit of 255; shorten the queue name`,
      },
    ]);
    const clash = problemsOf(() =>
      validateRoutingConfig([queueDoc('/cfg/orders.yaml', { queueType: 'quorum', maxPriority: 9 }), queueDoc('/cfg/orders.p7-9.yaml', {})]),
    );
    expect(clash).toEqual([
      {
        file: '/cfg/orders.yaml',
        key: '',
        message:
          "priority band 7-9 of queue 'orders' needs queue 'orders.p7-9', which /cfg/orders.p7-9.yaml declares as a queue of its own; " +
          'rename that queue or set other priorityBands',
      },
    ]);
  });
});

describe("the README's priority band example", () => {
  it('is a valid queue file that gives the three queues it names', () => {
    const readme = readFileSync(join(__dirname, '../../../../../README.md'), 'utf8');
    const block = /```yaml\n(# routes\/orders\.yaml[^\n]*\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const parsed = parseConfigText('routes/orders.yaml', block ?? '');
    if (!('data' in parsed)) throw new Error(parsed.problem.message);
    const [orders] = validateRoutingConfig([queueDoc('routes/orders.yaml', parsed.data)]).queues;
    expect(orders?.bands?.map((b) => b.queue.name)).toEqual(['orders', 'orders.p4-6', 'orders.p7-9']);
  });
});
