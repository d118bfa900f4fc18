import { ClosedError, silentLogger, TaskqError, type ResultMeta, type TaskRequest } from '@taskq/core';
import type { ResultStore } from '@taskq/core/internal';
import { isBackendFailure, ResultOutage, ResultReporter } from '../../src/result-reporter';

const request = { id: 'task-1', name: 't', args: [], kwargs: {}, retries: 0, ignoreResult: false, headers: {} } as unknown as TaskRequest;
const unreachable = () => new TaskqError('RESULT_BACKEND_UNREACHABLE', 'Cannot reach the Redis result backend at redis://:****@h:6379/0');

/** A store that fails `failures` times with `error`, then stores. */
function flakyStore(failures: number, error: () => Error): ResultStore & { stored: ResultMeta[]; calls: number } {
  const store = {
    stored: [] as ResultMeta[],
    calls: 0,
    wantsResult: () => true,
    store(_request: TaskRequest, meta: ResultMeta) {
      store.calls++;
      if (store.calls <= failures) return Promise.reject(error());
      store.stored.push(meta);
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
  return store;
}

function outageLog() {
  const lines: string[] = [];
  const changes: boolean[] = [];
  const logger = { ...silentLogger, warn: (m: string) => lines.push(`warn ${m}`), info: (m: string) => lines.push(`info ${m}`) };
  return { lines, changes, outage: new ResultOutage(logger, 'redis://h:6379/0', (down) => changes.push(down)) };
}

describe('ResultReporter: results are stored, never re-earned', () => {
  it('keeps a SUCCESS through a backend outage and stores it when the backend is back (never as a FAILURE)', async () => {
    const store = flakyStore(3, unreachable);
    const { lines, changes, outage } = outageLog();
    const reporter = new ResultReporter(store, { outage, timeoutMs: 60_000 });
    const report = await reporter.success(request, 42);
    expect(report).toEqual({ stored: true });
    expect(store.stored.map((m) => [m.status, m.result])).toEqual([['SUCCESS', 42]]);
    expect(changes).toEqual([true, false]);
    expect(lines).toHaveLength(2); // one warning when it starts, one line when it ends
    expect(lines[0]).toMatch(/^warn Cannot store results in redis:\/\/h:6379\/0/);
    expect(lines[1]).toMatch(/^info Result backend .* is reachable again/);
  });

  it('gives up after timeoutMs with the document kept, for the dead letter', async () => {
    const store = flakyStore(Infinity, unreachable);
    const { outage } = outageLog();
    const reporter = new ResultReporter(store, { outage, timeoutMs: 600 });
    const started = Date.now();
    const report = await reporter.success(request, { rows: 3 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(report.stored).toBe(false);
    if (report.stored) return;
    expect(report.document.status).toBe('SUCCESS');
    expect(report.document.result).toEqual({ rows: 3 });
    expect((report.error as TaskqError).code).toBe('RESULT_BACKEND_UNREACHABLE');
    expect(outage.active).toBe(true);
  });

  it('abandon() ends every held result at once (a stopping worker)', async () => {
    const store = flakyStore(Infinity, unreachable);
    const { outage } = outageLog();
    const reporter = new ResultReporter(store, { outage, timeoutMs: 600_000 });
    const held = reporter.success(request, 1);
    await new Promise((r) => setTimeout(r, 50));
    reporter.abandon();
    expect((await held).stored).toBe(false);
  });

  it('turns a value that cannot be encoded into the task failure, without waiting', async () => {
    const store = flakyStore(1, () => new TaskqError('SERIALIZATION_FAILED', 'Cannot encode a function'));
    const { outage, changes } = outageLog();
    const reporter = new ResultReporter(store, { outage, timeoutMs: 60_000 });
    await reporter.success(request, () => 1);
    expect(store.stored.map((m) => m.status)).toEqual(['FAILURE']);
    expect(changes).toEqual([]);
  });

  it('classifies backend errors apart from encoding errors', () => {
    expect(isBackendFailure(unreachable())).toBe(true);
    expect(isBackendFailure(new TaskqError('RESULT_STORE_FAILED', 'OOM'))).toBe(true);
    expect(isBackendFailure(new ClosedError('The Redis result store'))).toBe(true);
    expect(isBackendFailure(new TaskqError('SERIALIZATION_FAILED', 'x'))).toBe(false);
    expect(isBackendFailure(new Error('Reached the max retries per request limit'))).toBe(false);
  });
});
