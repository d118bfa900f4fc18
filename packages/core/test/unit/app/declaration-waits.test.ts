import { DeclarationWaits } from '../../../src/declaration-waits';
import { BrokerError } from '../../../src/errors';

const unavailable = (): BrokerError => new BrokerError('BROKER_UNAVAILABLE', 'not reached in time');

/** A declaration the test resolves or rejects by hand, counting how often it was asked for. */
function controlledDeclaration() {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  let pending = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  let calls = 0;
  return {
    declare: () => {
      calls += 1;
      return pending;
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
    renew: () => {
      pending = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
    },
    get calls() {
      return calls;
    },
  };
}

describe('sends waiting for their queue to be declared', () => {
  afterEach(() => jest.useRealTimers());

  it('publishes every waiting send in order once the declaration is done, asking for it once', async () => {
    const waits = new DeclarationWaits(unavailable);
    const declaration = controlledDeclaration();
    const published: number[] = [];
    const sends = [1, 2, 3].map((n) =>
      waits.after('q', declaration.declare, Date.now() + 10_000, () => {
        published.push(n);
        return Promise.resolve();
      }),
    );
    await Promise.resolve();
    expect(published).toEqual([]);
    declaration.finish();
    await Promise.all(sends);
    expect(published).toEqual([1, 2, 3]);
    expect(declaration.calls).toBe(1);
  });

  it('passes a failed publish on to its own send only', async () => {
    const waits = new DeclarationWaits(unavailable);
    const declaration = controlledDeclaration();
    const ok = waits.after('q', declaration.declare, Date.now() + 10_000, () => Promise.resolve());
    const bad = waits.after('q', declaration.declare, Date.now() + 10_000, () => Promise.reject(new Error('nacked')));
    declaration.finish();
    await expect(ok).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('nacked');
  });

  it('rejects every waiting send with the declaration error, and starts afresh for the next send', async () => {
    const waits = new DeclarationWaits(unavailable);
    const declaration = controlledDeclaration();
    const sends = [1, 2].map(() => waits.after('q', declaration.declare, Date.now() + 10_000, () => Promise.resolve()));
    declaration.fail(new BrokerError('QUEUE_DECLARE_FAILED', "Cannot declare queue 'q'"));
    for (const send of sends) await expect(send).rejects.toMatchObject({ code: 'QUEUE_DECLARE_FAILED' });
    declaration.renew();
    const next = waits.after('q', declaration.declare, Date.now() + 10_000, () => Promise.resolve());
    declaration.finish();
    await expect(next).resolves.toBeUndefined();
    expect(declaration.calls).toBe(2);
  });

  it('rejects each send at its own deadline, not at the first send’s', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const waits = new DeclarationWaits(unavailable);
    const declaration = controlledDeclaration();
    const outcomes: string[] = [];
    const track = (name: string, promise: Promise<void>) =>
      promise.then(
        () => outcomes.push(`${name} sent`),
        (error: BrokerError) => outcomes.push(`${name} ${error.code}`),
      );
    const first = track(
      'first',
      waits.after('q', declaration.declare, Date.now() + 1000, () => Promise.resolve()),
    );
    jest.advanceTimersByTime(600);
    const later = track(
      'later',
      waits.after('q', declaration.declare, Date.now() + 1000, () => Promise.resolve()),
    );
    jest.advanceTimersByTime(400); // the first send's deadline
    await first;
    expect(outcomes).toEqual(['first BROKER_UNAVAILABLE']);
    declaration.finish(); // in time for the later one
    await later;
    expect(outcomes).toEqual(['first BROKER_UNAVAILABLE', 'later sent']);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps one list per queue', async () => {
    const waits = new DeclarationWaits(unavailable);
    const a = controlledDeclaration();
    const b = controlledDeclaration();
    const published: string[] = [];
    const toA = waits.after('a', a.declare, Date.now() + 10_000, () => Promise.resolve(void published.push('a')));
    const toB = waits.after('b', b.declare, Date.now() + 10_000, () => Promise.resolve(void published.push('b')));
    b.finish();
    await toB;
    expect(published).toEqual(['b']);
    a.finish();
    await toA;
    expect(published).toEqual(['b', 'a']);
  });
});
