import { buildResultMeta, exceptionInfo, parseResultMeta, readExceptionInfo } from '../../../src/protocol';
import { unwrapResult } from '../../../src/results';
import { TaskFailedError } from '../../../src/errors';

describe('Celery result documents', () => {
  it('builds the rpc/redis result shape with a naive UTC date_done', () => {
    const meta = buildResultMeta({ taskId: 't1', status: 'SUCCESS', result: 5, now: new Date('2026-01-01T00:00:00.000Z'), parentId: 'p' });
    expect(meta).toEqual({
      task_id: 't1',
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      date_done: '2026-01-01T00:00:00.000',
      parent_id: 'p',
    });
  });

  it('describes errors as data, mapping shared names to Python builtins', () => {
    expect(exceptionInfo(new TypeError('bad'))).toEqual({ exc_type: 'TypeError', exc_message: ['bad'], exc_module: 'builtins' });
    const custom = new Error('nope');
    custom.name = 'PaymentDeclined';
    expect(exceptionInfo(custom)).toEqual({ exc_type: 'PaymentDeclined', exc_message: ['nope'], exc_module: null });
    expect(exceptionInfo('plain string')).toEqual({ exc_type: 'Error', exc_message: ['plain string'], exc_module: null });
  });

  it('reads Python exception documents without instantiating anything', () => {
    const info = readExceptionInfo({ exc_type: 'os.system', exc_message: ['rm -rf /'], exc_module: 'os' });
    expect(info).toEqual({ type: 'os.system', module: 'os', message: 'rm -rf /' });
    expect(() =>
      unwrapResult({
        task_id: 'x',
        status: 'FAILURE',
        result: { exc_type: 'ValueError', exc_message: ['bad value'], exc_module: 'builtins' },
        traceback: 'Traceback…',
        children: [],
        date_done: null,
      }),
    ).toThrow(TaskFailedError);
  });

  it('unwraps success and failure', () => {
    expect(unwrapResult({ task_id: 'x', status: 'SUCCESS', result: [1, 2], traceback: null, children: [], date_done: null })).toEqual([
      1, 2,
    ]);
    try {
      unwrapResult({
        task_id: 'x',
        status: 'REVOKED',
        result: { exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' },
        traceback: null,
        children: [],
        date_done: null,
      });
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toMatchObject({
        code: 'TASK_REVOKED',
        excType: 'TaskRevokedError',
        message: 'TaskRevokedError: expired',
        state: 'REVOKED',
      });
    }
  });

  it('refuses result documents without task_id or status', () => {
    expect(() => parseResultMeta({ status: 'SUCCESS' })).toThrow(/task_id/);
    expect(() => parseResultMeta([1])).toThrow(/mapping/);
  });
});
