import {
  DEAD_LETTER_REASONS,
  DEFAULT_DEAD_LETTER_QUEUE,
  MAX_ERROR_HEADER_CHARS,
  deadLetterDestination,
  deadLetterHeaders,
  readDeadLetter,
  withoutDeadLetterNote,
  type QueueDeclaration,
} from '../../../src/internal';

const AT = new Date('2026-11-23T18:00:00.000Z');
const ORIGINAL = { task: 'tasks.pay', id: 'id-1', retries: 2, 'x-taskq-signature': 'v1=abc' };

describe('dead-letter headers', () => {
  it('adds the note to the original headers', () => {
    const headers = deadLetterHeaders(ORIGINAL, {
      reason: 'max-retries',
      error: 'PaymentDeclined: no',
      task: 'tasks.pay',
      originalQueue: 'billing',
      attempts: 3,
      deadLetteredAt: AT,
    });
    expect(headers).toEqual({
      ...ORIGINAL,
      'x-taskq-reason': 'max-retries',
      'x-taskq-error': 'PaymentDeclined: no',
      'x-taskq-task': 'tasks.pay',
      'x-taskq-original-queue': 'billing',
      'x-taskq-attempts': 3,
      'x-taskq-dead-lettered-at': '2026-11-23T18:00:00.000Z',
    });
  });

  it('truncates the error to about 1 KB and omits an unknown task', () => {
    const headers = deadLetterHeaders(
      { 'x-taskq-task': 'stale' },
      {
        reason: 'malformed',
        error: 'e'.repeat(5000),
        originalQueue: 'q',
        attempts: 1,
        deadLetteredAt: AT,
      },
    );
    expect((headers['x-taskq-error'] as string).length).toBe(MAX_ERROR_HEADER_CHARS);
    expect((headers['x-taskq-error'] as string).endsWith('…')).toBe(true);
    expect(headers).not.toHaveProperty('x-taskq-task');
  });

  it('reads a note back, and falls back to the task headers and RabbitMQ x-first-death-*', () => {
    const headers = deadLetterHeaders(ORIGINAL, {
      reason: 'rejected',
      error: 'Reject: no',
      task: 'tasks.pay',
      originalQueue: 'billing',
      attempts: 3,
      deadLetteredAt: AT,
    });
    expect(readDeadLetter(headers)).toEqual({
      id: 'id-1',
      task: 'tasks.pay',
      reason: 'rejected',
      error: 'Reject: no',
      originalQueue: 'billing',
      attempts: 3,
      deadLetteredAt: AT.toISOString(),
    });
    expect(
      readDeadLetter({ task: 'py.task', retries: 1, 'x-first-death-queue': 'celery', 'x-first-death-reason': 'rejected' }, 'corr-9'),
    ).toEqual({
      id: 'corr-9',
      task: 'py.task',
      reason: 'broker:rejected',
      error: undefined,
      originalQueue: 'celery',
      attempts: 2,
      deadLetteredAt: undefined,
    });
    expect(readDeadLetter(undefined)).toMatchObject({ id: undefined, task: undefined, reason: undefined });
  });

  it('removes the note for a replay but keeps the signature and everything else', () => {
    const headers = deadLetterHeaders(ORIGINAL, { reason: 'too-large', error: 'x', originalQueue: 'q', attempts: 1, deadLetteredAt: AT });
    expect(withoutDeadLetterNote(headers)).toEqual(ORIGINAL);
  });

  it('lists the documented reasons', () => {
    expect(DEAD_LETTER_REASONS).toEqual([
      'max-retries',
      'malformed',
      'unknown-task',
      'content-type',
      'too-large',
      'bad-signature',
      'rejected',
      'eta-out-of-range',
      'internal-error',
      'worker-crash',
      'result-backend-unavailable',
    ]);
  });
});

describe('dead-letter destination', () => {
  const queue = (deadLetter?: QueueDeclaration['deadLetter']): QueueDeclaration => ({
    name: 'billing',
    durable: true,
    autoDelete: false,
    maxPriority: 10,
    exchange: undefined,
    bindingKeys: [],
    ...(deadLetter ? { deadLetter } : {}),
  });

  it('is the default queue (declared durable, without priority) when the routing file names no target', () => {
    expect(deadLetterDestination(queue(), DEFAULT_DEAD_LETTER_QUEUE, 'billing')).toEqual({
      exchange: '',
      routingKey: 'taskq.dead',
      declare: { name: 'taskq.dead', durable: true, autoDelete: false, maxPriority: undefined, exchange: undefined, bindingKeys: [] },
    });
  });

  it("is the queue's deadLetter exchange, with its routing key or else the message's", () => {
    expect(deadLetterDestination(queue({ exchange: 'dlx', routingKey: 'billing.dead' }), 'taskq.dead', 'billing')).toEqual({
      exchange: 'dlx',
      routingKey: 'billing.dead',
    });
    expect(deadLetterDestination(queue({ exchange: 'dlx' }), 'taskq.dead', 'invoices.pdf')).toEqual({
      exchange: 'dlx',
      routingKey: 'invoices.pdf',
    });
  });

  it('never routes back to the source through the default exchange without a key', () => {
    expect(deadLetterDestination(queue({ exchange: '' }), 'my.dead', 'billing')).toMatchObject({ exchange: '', routingKey: 'my.dead' });
    expect(deadLetterDestination(queue({ exchange: '', routingKey: 'billing.dead' }), 'my.dead', 'billing')).toEqual({
      exchange: '',
      routingKey: 'billing.dead',
    });
  });
});
