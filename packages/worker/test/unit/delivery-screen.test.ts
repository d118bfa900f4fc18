import { MessageSigner, SIGNATURE_HEADER } from '@taskq/core/internal';
import { screenDelivery } from '../../src/delivery-screen';

const signer = new MessageSigner('s'.repeat(32));
const body = Buffer.from('[[1],{},{}]');
const headers = { task: 't', id: 'id-1', retries: 0 };
const props = (h: Record<string, unknown>) => ({
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  correlationId: 'id-1',
  headers: h,
});
const signedProps = props({ ...headers, [SIGNATURE_HEADER]: signer.sign(headers, props(headers), body) });

describe('screenDelivery (before decoding)', () => {
  it('passes a message within the size limit when the app does not sign', () => {
    expect(screenDelivery(body, props(headers), { maxMessageBytes: body.length })).toBeUndefined();
  });

  it('refuses a body one byte over the limit as too-large, saying both sizes', () => {
    const refusal = screenDelivery(body, props(headers), { maxMessageBytes: body.length - 1 });
    expect(refusal?.reason).toBe('too-large');
    expect(refusal?.error.code).toBe('MESSAGE_TOO_LARGE');
    expect(refusal?.error.message).toContain(`${body.length} bytes, over this worker's limit of ${body.length - 1} bytes`);
  });

  it('checks size before the signature', () => {
    expect(screenDelivery(body, props(headers), { maxMessageBytes: 1, signer })?.reason).toBe('too-large');
  });

  it('accepts a correctly signed message', () => {
    expect(screenDelivery(body, signedProps, { maxMessageBytes: 1000, signer })).toBeUndefined();
  });

  it.each([
    ['unsigned', body, props(headers), /no x-taskq-signature header/],
    ['malformed', body, props({ ...headers, [SIGNATURE_HEADER]: 'sha1=abc' }), /not of the form v1=/],
    ['tampered body', Buffer.from('[[2],{},{}]'), signedProps, /does not match/],
    ['tampered header', body, { ...signedProps, headers: { ...signedProps.headers, task: 'other' } }, /does not match/],
  ])('refuses a %s message as bad-signature', (_label, content, properties, message) => {
    const refusal = screenDelivery(content, properties, { maxMessageBytes: 1000, signer });
    expect(refusal?.reason).toBe('bad-signature');
    expect(refusal?.error.code).toBe('BAD_SIGNATURE');
    expect(refusal?.error.message).toMatch(message);
  });

  it('lets unsigned messages through when signing is not required, but still refuses wrong signatures', () => {
    const lenient = new MessageSigner('s'.repeat(32), false);
    expect(screenDelivery(body, props(headers), { maxMessageBytes: 1000, signer: lenient })).toBeUndefined();
    expect(screenDelivery(Buffer.from('[[2],{},{}]'), signedProps, { maxMessageBytes: 1000, signer: lenient })?.reason).toBe(
      'bad-signature',
    );
  });
});
