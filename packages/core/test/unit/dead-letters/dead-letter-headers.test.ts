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
      error: 'RabbitMQ dead-lettered it: a consumer rejected it without requeueing',
      originalQueue: 'celery',
      attempts: 2,
      deadLetteredAt: undefined,
    });
    expect(readDeadLetter(undefined)).toMatchObject({ id: undefined, task: undefined, reason: undefined });
  });

  it('summarises a message RabbitMQ dead-lettered itself from x-death (delivery limit of a quorum queue)', () => {
    const headers = {
      id: 'id-7',
      task: 'tasks.flaky',
      retries: 0,
      'x-delivery-count': 20,
      'x-death': [
        {
          count: 1,
          reason: 'delivery_limit',
          queue: 'orders.p7-9',
          time: { '!': 'timestamp', value: 1_767_225_600 },
          exchange: '',
          'routing-keys': ['orders.p7-9'],
        },
        { count: 1, reason: 'expired', queue: 'orders.delay', time: { '!': 'timestamp', value: 1_767_225_000 }, exchange: '' },
      ],
      'x-first-death-reason': 'expired',
      'x-first-death-queue': 'orders.delay',
    };
    expect(readDeadLetter(headers)).toEqual({
      id: 'id-7',
      task: 'tasks.flaky',
      reason: 'broker:delivery_limit',
      error: "RabbitMQ dead-lettered it: it was delivered more often than the quorum queue's deliveryLimit allows",
      originalQueue: 'orders.p7-9',
      attempts: 1,
      deadLetteredAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('summarises an expired message, reading x-death as amqplib decodes it (Buffers, a plain number time)', () => {
    const headers = { 'x-death': [{ reason: Buffer.from('expired'), queue: Buffer.from('reports'), time: 1_767_225_600 }] };
    expect(readDeadLetter(headers, 'corr-1')).toMatchObject({
      id: 'corr-1',
      reason: 'broker:expired',
      error: expect.stringContaining('expired') as unknown,
      originalQueue: 'reports',
      deadLetteredAt: '2026-01-01T00:00:00.000Z',
    });
    expect(readDeadLetter({ 'x-death': [{ reason: 'something_new', queue: 'q' }] }).error).toBe(
      "RabbitMQ dead-lettered it (reason 'something_new')",
    );
    // A worker's note wins over RabbitMQ's x-death (the copy may carry both).
    const noted = deadLetterHeaders(
      { 'x-death': [{ reason: 'rejected', queue: 'other' }] },
      {
        reason: 'max-retries',
        error: 'boom',
        originalQueue: 'billing',
        attempts: 4,
        deadLetteredAt: AT,
      },
    );
    expect(readDeadLetter(noted)).toMatchObject({ reason: 'max-retries', error: 'boom', originalQueue: 'billing' });
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
