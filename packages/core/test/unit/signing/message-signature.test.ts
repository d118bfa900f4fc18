import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';
import {
  createApp,
  MessageSigner,
  resolveSigning,
  SIGNATURE_HEADER,
  SIGNED_HEADERS,
  signingInput,
  silentLogger,
} from '../../../src/internal';

const KEY = 'k'.repeat(32);
const BODY = Buffer.from('[[2,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]');
const HEADERS: Record<string, unknown> = {
  lang: 'js',
  task: 'tasks.add',
  id: 'id-1',
  eta: null,
  expires: '2026-11-24T00:00:00.000Z',
  retries: 0,
  timelimit: [null, 30],
  root_id: 'id-1',
  parent_id: null,
  group: null,
  ignore_result: false,
  argsrepr: '(2, 3)',
};
const PROPS = { contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'id-1', replyTo: 'reply-q' };

describe('signing input (canonical serialization)', () => {
  it('is netstrings: a version tag, each signed header and property by name, then the body', () => {
    const input = signingInput(HEADERS, PROPS, BODY).toString('utf8');
    expect(input.startsWith('18:taskq-signature-v1,4:task,10:stasks.add,2:id,5:sid-1,3:eta,1:-,')).toBe(true);
    expect(input).toContain('7:retries,2:n0,');
    expect(input).toContain('9:timelimit,10:j[null,30],');
    expect(input).toContain('13:ignore_result,2:b0,');
    expect(input).toContain('12:content_type,17:sapplication/json,');
    expect(input).toContain('8:reply_to,8:sreply-q,');
    expect(input.endsWith(`${BODY.length}:${BODY.toString()},`)).toBe(true);
  });

  it('ignores headers outside the signed set, so notes added in transit keep the signature valid', () => {
    const noted = { ...HEADERS, argsrepr: 'changed', 'x-taskq-reason': 'max-retries', [SIGNATURE_HEADER]: 'v1=00' };
    expect(signingInput(noted, PROPS, BODY).equals(signingInput(HEADERS, PROPS, BODY))).toBe(true);
  });

  it.each([
    ...SIGNED_HEADERS.map((name) => [`header ${name}`, { ...HEADERS, [name]: 'other' }, PROPS] as const),
    ['an absent header vs an empty string', { ...HEADERS, group: '' }, PROPS],
    ['a number vs the same digits as a string', { ...HEADERS, retries: '0' }, PROPS],
    ['content type', HEADERS, { ...PROPS, contentType: 'application/x-yaml' }],
    ['content encoding', HEADERS, { ...PROPS, contentEncoding: 'binary' }],
    ['correlation id', HEADERS, { ...PROPS, correlationId: 'id-2' }],
    ['reply_to', HEADERS, { ...PROPS, replyTo: 'attacker-q' }],
  ])('changes when %s changes', (_label, headers, props) => {
    expect(signingInput(headers, props, BODY).equals(signingInput(HEADERS, PROPS, BODY))).toBe(false);
  });

  it('cannot be confused by moving bytes between a value and the body (length prefixes)', () => {
    const a = signingInput({ ...HEADERS, group: 'ab' }, PROPS, Buffer.from('c'));
    const b = signingInput({ ...HEADERS, group: 'a' }, PROPS, Buffer.from('bc'));
    expect(a.equals(b)).toBe(false);
  });

  it('sorts mapping keys, so equal values sign alike', () => {
    const one = signingInput({ ...HEADERS, timelimit: { b: 1, a: 2 } }, PROPS, BODY);
    const two = signingInput({ ...HEADERS, timelimit: { a: 2, b: 1 } }, PROPS, BODY);
    expect(one.equals(two)).toBe(true);
  });
});

describe('MessageSigner', () => {
  const signer = new MessageSigner(KEY);

  it('signs with HMAC-SHA256 over the signing input, as v1=<hex>', () => {
    const expected = createHmac('sha256', KEY)
      .update(signingInput(HEADERS, PROPS, BODY))
      .digest('hex');
    expect(signer.sign(HEADERS, PROPS, BODY)).toBe(`v1=${expected}`);
  });

  it('accepts its own signature and refuses missing, malformed, wrong-key and tampered ones', () => {
    const signed = { ...HEADERS, [SIGNATURE_HEADER]: signer.sign(HEADERS, PROPS, BODY) };
    expect(signer.check(signed, PROPS, BODY)).toBeUndefined();
    expect(signer.check(HEADERS, PROPS, BODY)).toBe('missing');
    expect(signer.check({ ...HEADERS, [SIGNATURE_HEADER]: 'v1=xyz' }, PROPS, BODY)).toBe('malformed');
    expect(signer.check({ ...HEADERS, [SIGNATURE_HEADER]: Buffer.from('v1=00') }, PROPS, BODY)).toBe('malformed');
    expect(signer.check({ ...HEADERS, [SIGNATURE_HEADER]: `v2=${'0'.repeat(64)}` }, PROPS, BODY)).toBe('malformed');
    const other = new MessageSigner('o'.repeat(32));
    expect(other.check(signed, PROPS, BODY)).toBe('mismatch');
    expect(signer.check(signed, PROPS, Buffer.from(BODY.toString().replace('2,3', '2,4')))).toBe('mismatch');
    expect(signer.check({ ...signed, retries: 1 }, PROPS, BODY)).toBe('mismatch');
    expect(signer.check(signed, { ...PROPS, replyTo: 'elsewhere' }, BODY)).toBe('mismatch');
  });

  it('refuses short or missing keys, without printing them', () => {
    expect(() => new MessageSigner('short-secret')).toThrow(/at least 16 bytes \(this one has 12\)/);
    expect(() => new MessageSigner('short-secret')).not.toThrow(/short-secret/);
    expect(() => new MessageSigner(undefined as unknown as string)).toThrow(/at least 16 bytes/);
    expect(new MessageSigner(Buffer.alloc(16, 1)).required).toBe(true);
  });

  it('never shows its key: not in inspect, JSON, or the app object', () => {
    const secret = 'super-secret-signing-key-0123456789';
    const app = createApp({ logger: silentLogger, signing: { key: secret } });
    expect(inspect(app.signer, { showHidden: true, depth: 5 })).not.toContain(secret);
    expect(JSON.stringify(app.signer)).not.toContain(secret);
    expect(inspect(app, { depth: 6 })).not.toContain(secret);
    expect(Object.values(app.signer!)).not.toContain(secret);
  });
});

describe('resolveSigning', () => {
  it('uses the option, else TASKQ_SIGNING_KEY, else nothing; false turns it off', () => {
    expect(resolveSigning(undefined, {})).toBeUndefined();
    expect(resolveSigning(undefined, { TASKQ_SIGNING_KEY: KEY })?.required).toBe(true);
    expect(resolveSigning({ key: KEY, required: false }, {})?.required).toBe(false);
    expect(resolveSigning(false, { TASKQ_SIGNING_KEY: KEY })).toBeUndefined();
    const fromEnv = resolveSigning(undefined, { TASKQ_SIGNING_KEY: KEY })!;
    const fromOption = resolveSigning({ key: KEY }, {})!;
    expect(fromEnv.sign(HEADERS, PROPS, BODY)).toBe(fromOption.sign(HEADERS, PROPS, BODY));
  });

  it('validates the option', () => {
    expect(() => resolveSigning('key' as never, {})).toThrow(/signing must be \{ key, required\? \} or false/);
    expect(() => resolveSigning({ key: KEY, required: 'yes' as never }, {})).toThrow(/signing.required must be true or false/);
  });
});
