import { AMQP_REPLY, isPublishNack, replyCodeName, replyCodeOf } from '../../../src/transport/amqp-reply';

/**
 * An error as amqplib 2.3.1 makes one from a broker's close frame (lib/channel.js
 * `convertCloseFrameToError`, lib/format.js `closeMessage`): text plus numeric code, class and method.
 */
function closeFrameError(prefix: string, replyCode: number, name: string, replyText: string, classId: number, methodId: number): Error {
  const error = new Error(`${prefix}${replyCode} (${name}) with message "${replyText}"`);
  return Object.assign(error, { code: replyCode, classId, methodId });
}

describe('AMQP reply codes', () => {
  it('reads the numeric code amqplib puts on an operation the broker failed (passive check of a missing queue)', () => {
    const err = closeFrameError('Operation failed: QueueDeclare; ', 404, 'NOT-FOUND', "NOT_FOUND - no queue 'q' in vhost '/'", 50, 10);
    expect(replyCodeOf(err)).toBe(AMQP_REPLY.NOT_FOUND);
  });

  it("reads the code of a channel's 'error' event (a publish to a missing exchange) and of a refused redeclare", () => {
    const publish = closeFrameError('Channel closed by server: ', 404, 'NOT-FOUND', "NOT_FOUND - no exchange 'x' in vhost '/'", 60, 40);
    const redeclare = closeFrameError(
      'Operation failed: QueueDeclare; ',
      406,
      'PRECONDITION-FAILED',
      "PRECONDITION_FAILED - inequivalent arg 'x-max-priority'",
      50,
      10,
    );
    expect([replyCodeOf(publish), replyCodeOf(redeclare)]).toEqual([404, AMQP_REPLY.PRECONDITION_FAILED]);
  });

  it('goes by the code, not the text: a 406 whose reply text mentions 404 is a 406', () => {
    const err = closeFrameError(
      'Operation failed: QueueDeclare; ',
      406,
      'PRECONDITION-FAILED',
      "inequivalent arg 'x-max-length' (404)",
      50,
      10,
    );
    expect(replyCodeOf(err)).toBe(406);
  });

  it("reads amqplib's close-frame wording when recovery re-wrapped the error as text (another realm's Error)", () => {
    // lib/recovery.js toError: `new Error(String(err))` keeps only "Error: <message>".
    const original = closeFrameError('Operation failed: QueueDeclare; ', 404, 'NOT-FOUND', "NOT_FOUND - no queue 'q'", 50, 10);
    expect(replyCodeOf(new Error(String(original)))).toBe(404);
    const connection = new Error(
      'Connection closed: 320 (CONNECTION-FORCED) with message "CONNECTION_FORCED - broker forced connection closure"',
    );
    expect(replyCodeOf(connection)).toBe(AMQP_REPLY.CONNECTION_FORCED);
  });

  it('is undefined for errors no close frame caused: a nack, a lost channel, a socket error, non-errors', () => {
    expect(replyCodeOf(new Error('message nacked'))).toBeUndefined();
    expect(replyCodeOf(new Error('channel closed'))).toBeUndefined();
    expect(replyCodeOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    // Broker prose alone is not a reply code: only amqplib's `<code> (<NAME>) with message` form is read.
    expect(replyCodeOf(new Error("NOT_FOUND - no queue 'q' in vhost '/' (404)"))).toBeUndefined();
    expect(replyCodeOf(undefined)).toBeUndefined();
    expect(replyCodeOf('404 (NOT-FOUND) with message "x"')).toBeUndefined();
  });

  it("tells amqplib's nack of a publish from a lost channel", () => {
    expect(isPublishNack(new Error('message nacked'))).toBe(true);
    expect(isPublishNack(new Error('channel closed'))).toBe(false);
    expect(isPublishNack('message nacked')).toBe(false);
  });

  it('names a code, and knows none for a number outside the spec', () => {
    expect(replyCodeName(530)).toBe('NOT_ALLOWED');
    expect(replyCodeName(405)).toBe('RESOURCE_LOCKED');
    expect(replyCodeName(200)).toBeUndefined();
  });
});
