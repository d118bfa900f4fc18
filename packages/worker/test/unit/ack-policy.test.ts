import { ackActionFor, undecodableReason, type AckAction, type DeliveryOutcome } from '../../src/ack-policy';
import { ContentTypeRejectedError, ProtocolError, SerializationError, TaskqError } from '@taskq/core';

describe('ack policy', () => {
  const table: Array<[DeliveryOutcome, AckAction]> = [
    ['succeeded', 'ack'],
    ['failed', 'ack'],
    ['retried', 'ack'],
    ['retry-unpublished', 'requeue'],
    ['expired', 'ack'],
    ['delayed', 'ack'],
    ['dead-lettered', 'ack'],
    ['dead-letter-unpublished', 'dead-letter'],
    ['not-started', 'requeue'],
  ];

  it.each(table)('%s → %s', (outcome, action) => {
    expect(ackActionFor(outcome)).toBe(action);
  });

  it('acks a refused message only once its dead-letter copy is confirmed, and never requeues it', () => {
    expect(ackActionFor('dead-lettered')).toBe('ack');
    expect(ackActionFor('dead-letter-unpublished')).not.toBe('requeue');
    expect(ackActionFor('dead-letter-unpublished')).not.toBe('ack');
  });

  it('never acks a task whose retry could not be published (it would be lost)', () => {
    expect(ackActionFor('retry-unpublished')).toBe('requeue');
  });
});

describe('undecodable reason', () => {
  it.each<[string, unknown, string]>([
    ['a content type outside the accept list', new ContentTypeRejectedError('application/x-foo', ['application/json']), 'content-type'],
    ['pickle', new TaskqError('SERIALIZER_FORBIDDEN', 'pickle is refused'), 'content-type'],
    ['a protocol error', new ProtocolError('no id'), 'malformed'],
    ['a decode error', new SerializationError('bad json'), 'malformed'],
    ['a non-error', 'weird', 'malformed'],
    ['null', null, 'malformed'],
  ])('%s → %s', (_label, error, reason) => {
    expect(undecodableReason(error)).toBe(reason);
  });
});
