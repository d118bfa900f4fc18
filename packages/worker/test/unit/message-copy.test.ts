import type { TaskRequest } from '@taskq/core';
import { MessageSigner, SIGNATURE_HEADER, createSerializerRegistry, parseTaskMessage } from '@taskq/core/internal';
import { encodedCopy, retryCopy } from '../../src/message-copy';

const serializers = createSerializerRegistry();
const accept = serializers.acceptList(['json', 'msgpack', 'yaml']);
const signer = new MessageSigner('r'.repeat(32));
const ETA = new Date('2026-11-23T18:00:05.000Z');

function v2Message() {
  const headers = {
    lang: 'js',
    task: 'tasks.pay',
    id: 'id-1',
    root_id: 'root-1',
    parent_id: 'parent-1',
    group: null,
    eta: null,
    expires: null,
    retries: 1,
    timelimit: [null, null],
    ignore_result: false,
    argsrepr: '(42,)',
    'x-custom': 'kept',
  };
  const properties = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    correlationId: 'id-1',
    replyTo: 'reply-q',
    priority: 7,
    headers,
  };
  return { content: Buffer.from('[[42],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]'), properties };
}

describe('encodedCopy', () => {
  it('keeps body, properties and headers, persistent, without sharing the headers object', () => {
    const message = v2Message();
    const copy = encodedCopy(message);
    expect(copy).toEqual({
      content: message.content,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      correlationId: 'id-1',
      replyTo: 'reply-q',
      priority: 7,
      headers: message.properties.headers,
      persistent: true,
    });
    copy.headers['retries'] = 99;
    expect(message.properties.headers.retries).toBe(1);
  });
});

describe('retryCopy', () => {
  it('increments retries and sets the new eta, keeping id, root, parent, reply_to, priority and body', () => {
    const message = v2Message();
    const request = parseTaskMessage(message.content, message.properties, accept);
    const copy = retryCopy(message, request, { retries: 2, eta: ETA }, { serializers });
    expect(copy.content.equals(message.content)).toBe(true);
    expect(copy.headers).toMatchObject({
      id: 'id-1',
      root_id: 'root-1',
      parent_id: 'parent-1',
      retries: 2,
      eta: ETA.toISOString(),
      'x-custom': 'kept',
    });
    expect(copy).toMatchObject({ correlationId: 'id-1', replyTo: 'reply-q', priority: 7 });
    expect(copy.headers).not.toHaveProperty(SIGNATURE_HEADER);
    const again = parseTaskMessage(copy.content, copy, accept);
    expect(again).toMatchObject({ id: 'id-1', retries: 2, eta: ETA, args: [42] });
  });

  it('signs the copy again (its old signature covered the old retries and eta)', () => {
    const message = v2Message();
    message.properties.headers = {
      ...message.properties.headers,
      [SIGNATURE_HEADER]: signer.sign(message.properties.headers, message.properties, message.content),
    } as typeof message.properties.headers;
    const request = parseTaskMessage(message.content, message.properties, accept);
    const copy = retryCopy(message, request, { retries: 2, eta: ETA }, { serializers, signer });
    const oldSignature = (message.properties.headers as Record<string, unknown>)[SIGNATURE_HEADER];
    expect(copy.headers[SIGNATURE_HEADER]).not.toBe(oldSignature);
    expect(signer.check(copy.headers, copy, copy.content)).toBeUndefined();
    // The old signature would not have passed on the copy.
    expect(signer.check({ ...copy.headers, [SIGNATURE_HEADER]: oldSignature }, copy, copy.content)).toBe('mismatch');
  });

  it('turns a Celery protocol v1 message (retries in the body) into a v2 retry', () => {
    const body = { task: 'py.task', id: 'v1-id', args: [1, 2], kwargs: { a: 1 }, retries: 0, eta: null };
    const message = {
      content: Buffer.from(JSON.stringify(body)),
      properties: { contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'v1-id', headers: {} },
    };
    const request: TaskRequest = parseTaskMessage(message.content, message.properties, accept);
    const copy = retryCopy(message, request, { retries: 1, eta: ETA }, { serializers });
    const again = parseTaskMessage(copy.content, copy, accept);
    expect(again).toMatchObject({ id: 'v1-id', name: 'py.task', args: [1, 2], kwargs: { a: 1 }, retries: 1, eta: ETA });
    expect(copy.headers['task']).toBe('py.task');
  });
});
