import { buildTaskMessage, parseTaskMessage, READY_STATES } from '../../../src/protocol';
import { createSerializerRegistry } from '../../../src/serialization';

const registry = createSerializerRegistry();
const accept = registry.acceptList(['json', 'msgpack', 'yaml']);

describe('Celery protocol v2 messages', () => {
  it('builds headers, properties and a [args, kwargs, embed] body', () => {
    const eta = new Date('2030-01-02T03:04:05.000Z');
    const message = buildTaskMessage(
      {
        id: 'id-1',
        name: 'tasks.add',
        args: [2, 3],
        kwargs: { z: 1 },
        eta,
        replyTo: 'reply-q',
        priority: 4,
        headers: { custom: 'x', task: 'spoof' },
      },
      registry.get('json'),
    );
    expect(message.headers).toMatchObject({
      lang: 'js',
      task: 'tasks.add',
      id: 'id-1',
      eta: '2030-01-02T03:04:05.000Z',
      expires: null,
      retries: 0,
      root_id: 'id-1',
      parent_id: null,
      group: null,
      timelimit: [null, null],
      argsrepr: '[2,3]',
      kwargsrepr: '{"z":1}',
      custom: 'x',
    });
    expect(message).toMatchObject({
      correlationId: 'id-1',
      replyTo: 'reply-q',
      priority: 4,
      persistent: true,
      contentType: 'application/json',
    });
    expect(JSON.parse(message.content.toString())).toEqual([
      [2, 3],
      { z: 1 },
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ]);
  });

  it('lets protocol headers win over user headers of the same name', () => {
    const message = buildTaskMessage(
      { id: 'a', name: 'real', args: [], kwargs: {}, headers: { task: 'spoof', id: 'b' } },
      registry.get('json'),
    );
    expect(message.headers['task']).toBe('real');
    expect(message.headers['id']).toBe('a');
  });

  it.each(['json', 'msgpack', 'yaml'])('round-trips through parse with %s', (name) => {
    const serializer = registry.get(name);
    const built = buildTaskMessage(
      { id: 'id-2', name: 'tasks.mul', args: [6, 7], kwargs: { k: 'v' }, expires: new Date('2031-05-05T00:00:00.000Z'), replyTo: 'r' },
      serializer,
    );
    const request = parseTaskMessage(
      built.content,
      { contentType: built.contentType, headers: built.headers, replyTo: 'r', correlationId: 'id-2' },
      accept,
    );
    expect(request).toMatchObject({
      id: 'id-2',
      name: 'tasks.mul',
      args: [6, 7],
      kwargs: { k: 'v' },
      replyTo: 'r',
      retries: 0,
      lang: 'js',
    });
    expect(request.expires?.toISOString()).toBe('2031-05-05T00:00:00.000Z');
  });

  it('reads a message as Celery 5 sends it (naive UTC eta, Python origin)', () => {
    const headers = {
      lang: 'py',
      task: 'proj.add',
      id: 'c1',
      shadow: null,
      eta: '2030-01-02T03:04:05.123456',
      expires: null,
      group: null,
      group_index: null,
      retries: 2,
      timelimit: [30, 20],
      root_id: 'c1',
      parent_id: null,
      argsrepr: '(1, 2)',
      kwargsrepr: '{}',
      origin: 'gen123@host',
      ignore_result: false,
    };
    const body = Buffer.from(JSON.stringify([[1, 2], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]));
    const request = parseTaskMessage(body, { contentType: 'application/json', headers, correlationId: 'c1', replyTo: 'oid' }, accept);
    expect(request.eta?.toISOString()).toBe('2030-01-02T03:04:05.123Z');
    expect(request).toMatchObject({ retries: 2, timeLimit: [30, 20], lang: 'py', origin: 'gen123@host', replyTo: 'oid' });
  });

  it.each([
    ['no task header and a body that is not v1', {}, '[[],{},{}]', /not a Celery protocol v1 task/],
    ['a v1 body without an id', {}, '{"task":"t"}', /needs string 'task' and 'id'/],
    ['an empty task name', { task: '', id: 'x' }, '[[],{},{}]', /non-empty string/],
    ['no id', { task: 't' }, '[[],{},{}]', /no 'id' header/],
    ['args not a list', { task: 't', id: 'x' }, '[{},{},{}]', /args must be a list/],
    ['kwargs not a mapping', { task: 't', id: 'x' }, '[[],[],{}]', /kwargs must be a mapping/],
    ['a body that is not a list', { task: 't', id: 'x' }, '{"a":1}', /body must be \[args, kwargs, embed\]/],
    ['a bad eta', { task: 't', id: 'x', eta: 'tomorrow' }, '[[],{},{}]', /'eta' must be an ISO 8601 time/],
  ])('refuses %s with a clear reason', (_label, headers, body, reason) => {
    expect(() => parseTaskMessage(Buffer.from(body), { contentType: 'application/json', headers }, accept)).toThrow(reason);
  });

  it('decodes Celery protocol v1 messages (task and metadata in the body)', () => {
    const body = {
      task: 'proj.add',
      id: 'v1-id',
      args: [1, 2],
      kwargs: { z: 3 },
      retries: 1,
      eta: '2030-01-02T03:04:05',
      expires: null,
      utc: true,
      callbacks: null,
      errbacks: null,
      taskset: 'group-1',
      timelimit: [10, 5],
    };
    const request = parseTaskMessage(Buffer.from(JSON.stringify(body)), { contentType: 'application/json', replyTo: 'oid' }, accept);
    expect(request).toMatchObject({
      id: 'v1-id',
      name: 'proj.add',
      args: [1, 2],
      kwargs: { z: 3 },
      retries: 1,
      groupId: 'group-1',
      timeLimit: [10, 5],
      replyTo: 'oid',
    });
    expect(request.eta?.toISOString()).toBe('2030-01-02T03:04:05.000Z');
    expect(request.headers['protocol']).toBe(1);
  });

  it('refuses pickle before decoding anything', () => {
    expect(() =>
      parseTaskMessage(
        Buffer.from('cos\nsystem\n'),
        { contentType: 'application/x-python-serialize', headers: { task: 't', id: 'x' } },
        accept,
      ),
    ).toThrow(expect.objectContaining({ code: 'CONTENT_TYPE_REJECTED' }));
  });

  it('knows which states are final', () => {
    expect([...READY_STATES].sort()).toEqual(['FAILURE', 'IGNORED', 'REJECTED', 'REVOKED', 'SUCCESS']);
  });
});
