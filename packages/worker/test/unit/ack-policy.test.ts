import { ackActionFor, type DeliveryOutcome } from '../../src/ack-policy';

describe('ack policy', () => {
  it.each<[DeliveryOutcome, string]>([
    ['succeeded', 'ack'],
    ['failed', 'ack'],
    ['malformed', 'dead-letter'],
    ['unknown-task', 'dead-letter'],
    ['expired', 'ack'],
    ['delayed', 'ack'],
    ['not-started', 'requeue'],
  ])('%s → %s', (outcome, action) => {
    expect(ackActionFor(outcome)).toBe(action);
  });

  it('never requeues a message that cannot be read (no redelivery loop)', () => {
    expect(ackActionFor('malformed')).not.toBe('requeue');
    expect(ackActionFor('unknown-task')).not.toBe('requeue');
  });
});
