import { InvalidArgumentError } from 'commander';
import { TaskqError } from '@taskq/core';
import { EXIT_ERROR, EXIT_USAGE, reportError, UsageError } from '../../src/cli-error';
import { describeLoadError } from '../../src/module-load-error';
import { seconds, wholeNumber } from '../../src/option-values';

describe('reportError', () => {
  const report = (err: unknown, urls: Array<string | undefined> = []): { code: number; text: string } => {
    let text = '';
    const code = reportError(err, urls, (s) => (text += s));
    return { code, text };
  };

  it('exits 2 for a usage error, 1 for any other error, one line each', () => {
    expect(report(new UsageError('Pass task ids or --all, not both.'))).toEqual({
      code: EXIT_USAGE,
      text: 'taskq: error: Pass task ids or --all, not both.\n',
    });
    expect(report(new TaskqError('BROKER_UNREACHABLE', 'Cannot connect.'))).toEqual({
      code: EXIT_ERROR,
      text: 'taskq: error: Cannot connect.\n',
    });
    expect(report(new Error('bug')).code).toBe(EXIT_ERROR);
  });

  it('masks the passwords of the broker and result backend URLs, keeping user names', () => {
    const broker = 'amqp://guest:guest@127.0.0.1:5672/nope';
    const redis = 'redis://:redis-secret@127.0.0.1:6379/0';
    const { text } = report(new TaskqError('BROKER_VHOST_DENIED', `at ${broker} as user 'guest'; ${redis}; auth redis-secret`), [
      broker,
      redis,
    ]);
    expect(text).toBe(
      "taskq: error: at amqp://guest:****@127.0.0.1:5672/nope as user 'guest'; redis://:****@127.0.0.1:6379/0; auth ****\n",
    );
  });
});

describe('option values', () => {
  it('parses whole numbers and seconds, refusing the rest as commander usage errors', () => {
    expect(wholeNumber('4')).toBe(4);
    expect(seconds('0.5')).toBe(0.5);
    for (const bad of ['abc', '0', '-1', '1.5', '']) expect(() => wholeNumber(bad)).toThrow(InvalidArgumentError);
    for (const bad of ['abc', '0', '-1', '']) expect(() => seconds(bad)).toThrow(InvalidArgumentError);
  });
});

describe('describeLoadError', () => {
  const file = '/abs/tasks.ts';
  const withCode = (message: string, code: string, extra: Record<string, unknown> = {}): Error =>
    Object.assign(new Error(message), { code, ...extra });

  it('a missing package, from the CommonJS error (no "Require stack") and from the ES module error', () => {
    const cjs = withCode("Cannot find module 'left-pad'\nRequire stack:\n- /abs/tasks.ts\n- /cli/load-app.js", 'MODULE_NOT_FOUND', {
      requireStack: ['/abs/tasks.ts', '/cli/load-app.js'],
    });
    expect(describeLoadError(cjs, file)).toBe("cannot find module 'left-pad' imported from /abs/tasks.ts (install it, or fix the import)");
    const esm = withCode("Cannot find package 'left-pad' imported from /abs/lib.ts", 'ERR_MODULE_NOT_FOUND');
    expect(describeLoadError(esm, file)).toBe("cannot find module 'left-pad' imported from /abs/lib.ts (install it, or fix the import)");
    const relative = withCode("Cannot find module '/abs/nolib.js' imported from /abs/tasks.js", 'ERR_MODULE_NOT_FOUND');
    expect(describeLoadError(relative, file)).toBe(
      "cannot find module '/abs/nolib.js' imported from /abs/tasks.js (no such file: fix the import)",
    );
  });

  it('an esbuild (tsx) error: its location, with the column counted from 1', () => {
    const err = new Error('Transform failed with 1 error:\n/abs/lib.ts:12:4: ERROR: Expected ";" but found "x"');
    expect(describeLoadError(err, file)).toBe('SyntaxError at /abs/lib.ts:12:5: Expected ";" but found "x"');
  });

  it("a V8 SyntaxError with Node's arrow in its stack (CommonJS, or an ES module link error)", () => {
    const cjs = Object.assign(new SyntaxError("Unexpected token '*'"), {
      stack: "/abs/tasks.js:4\n  return x +* 2;\n            ^\n\nSyntaxError: Unexpected token '*'\n    at wrapSafe (node:internal)",
    });
    expect(describeLoadError(cjs, '/abs/tasks.js')).toBe("SyntaxError at /abs/tasks.js:4:13: Unexpected token '*'");
    const link = Object.assign(new SyntaxError("The requested module './lib.js' does not provide an export named 'y'"), {
      stack: "file:///abs/tasks.js:1\nimport { y } from './lib.js';\n         ^\nSyntaxError: The requested module…",
    });
    expect(describeLoadError(link, '/abs/tasks.js')).toBe(
      "SyntaxError at /abs/tasks.js:1:10: The requested module './lib.js' does not provide an export named 'y'",
    );
  });

  it('an error thrown by the module: name, message and its frame in the module', () => {
    const err = Object.assign(new TypeError('kaput'), {
      stack: 'TypeError: kaput\n    at boom (/abs/tasks.ts:2:33)\n    at ModuleJob.run (node:internal)',
    });
    expect(describeLoadError(err, file)).toBe('TypeError: kaput (at /abs/tasks.ts:2:33)');
    expect(describeLoadError('a string', file)).toBe('Error: a string');
  });
});
