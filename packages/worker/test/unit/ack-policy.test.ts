import { ackActionFor, undecodableReason, type AckAction, type DeliveryOutcome } from '../../src/ack-policy';
import { ContentTypeRejectedError, ProtocolError, SerializationError, TaskqError } from '@taskq/core';

describe('ack policy', () => {
  const table: Array<[DeliveryOutcome, AckAction]> = [
    ['succeeded', 'ack'],
    ['failed', 'ack'],
    ['retried', 'ack'],
    ['retry-unpublished', 'requeue-later'],
    ['expired', 'ack'],
    ['delayed', 'ack'],
    ['dead-lettered', 'ack'],
    ['dead-letter-unpublished', 'dead-letter'],
    ['publish-failed', 'requeue-later'],
    ['internal-retried', 'ack'],
    ['recounted', 'ack'],
    ['handed-back', 'ack'],
    ['not-started', 'requeue'],
  ];

  it('requeues at once only a task that never started (a stopping worker); every other path acks, rejects or waits first', () => {
    const outcomes: DeliveryOutcome[] = [
      'succeeded',
      'failed',
      'retried',
      'retry-unpublished',
      'expired',
      'delayed',
      'dead-lettered',
      'dead-letter-unpublished',
      'publish-failed',
      'internal-retried',
      'recounted',
      'handed-back',
      'not-started',
    ];
    expect(outcomes.filter((outcome) => ackActionFor(outcome) === 'requeue')).toEqual(['not-started']);
  });

  it.each(table)('%s → %s', (outcome, action) => {
    expect(ackActionFor(outcome)).toBe(action);
  });

  it('acks a refused message only once its dead-letter copy is confirmed, and never requeues it', () => {
    expect(ackActionFor('dead-lettered')).toBe('ack');
    expect(ackActionFor('dead-letter-unpublished')).not.toBe('requeue');
    expect(ackActionFor('dead-letter-unpublished')).not.toBe('ack');
  });

  it('never acks a task whose retry could not be published (it would be lost), and never requeues it at once', () => {
    expect(ackActionFor('retry-unpublished')).toBe('requeue-later');
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
