import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli-process';

const NO_STACK = /^\s+at /m;

/** Tasks modules that cannot load, in a temp project of the given package type. No broker needed. */
describe('taskq worker explains a tasks module that cannot load, in one line', () => {
  const dirs: string[] = [];
  const write = (type: 'module' | 'commonjs', file: string, source: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'taskq-load-errors-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type }));
    writeFileSync(join(dir, file), source);
    return join(dir, file);
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const expectOneLine = (stderr: string, line: string): void => {
    expect(stderr.trim()).toBe(`taskq: error: ${line}`);
    expect(stderr).not.toMatch(NO_STACK);
    expect(stderr).not.toContain('Require stack');
  };

  const syntaxError = 'export const a = 1;\n\nfunction f(x) {\n  return x +* 2;\n}\n';
  it.each([
    ['module', 'tasks.ts', syntaxError.replace('(x)', '(x: number)'), 'Unexpected "*"'],
    ['commonjs', 'tasks.ts', syntaxError.replace('(x)', '(x: number)'), 'Unexpected "*"'],
    ['module', 'tasks.js', syntaxError, "Unexpected token '*'"],
    ['commonjs', 'tasks.js', syntaxError.replace('export const a = 1;', 'exports.a = 1;'), "Unexpected token '*'"],
    ['commonjs', 'tasks.mjs', syntaxError, "Unexpected token '*'"],
  ] as const)('a syntax error in a "type": "%s" %s: file:line:column, exit 1', async (type, file, source, message) => {
    const module = write(type, file, source);
    const { code, stderr } = await runCli(['worker', '--app', module]);
    expect(code).toBe(1);
    expectOneLine(stderr, `Could not load the tasks module ${module}: SyntaxError at ${module}:4:13: ${message}`);
  });

  it.each([
    ['module', 'tasks.ts', "import leftPad from 'left-pad';\nexport const app = leftPad;\n"],
    ['commonjs', 'tasks.ts', "import leftPad from 'left-pad';\nexport const app = leftPad;\n"],
    ['module', 'tasks.js', "import leftPad from 'left-pad';\nexport const app = leftPad;\n"],
    ['commonjs', 'tasks.js', "const leftPad = require('left-pad');\nexports.app = leftPad;\n"],
  ] as const)('a missing package imported by a "type": "%s" %s: which and from where, exit 1', async (type, file, source) => {
    const module = write(type, file, source);
    const { code, stderr } = await runCli(['worker', '--app', module]);
    expect(code).toBe(1);
    expectOneLine(
      stderr,
      `Could not load the tasks module ${module}: cannot find module 'left-pad' imported from ${module} (install it, or fix the import)`,
    );
  });

  it('top-level await in a CommonJS TypeScript module: says how to make it an ES module', async () => {
    const module = write('commonjs', 'tasks.ts', 'export const app = await Promise.resolve(1);\n');
    const { code, stderr } = await runCli(['worker', '--app', module]);
    expect(code).toBe(1);
    expect(stderr).toContain(`SyntaxError at ${module}:1:20: Top-level await is currently not supported`);
    expect(stderr).toContain(
      'Top-level await needs an ES module: name the file .mts (or .mjs), or add "type": "module" to its package.json.',
    );
    expect(stderr).not.toMatch(NO_STACK);
  });

  it('an error thrown while the module runs: its name, message and where in the module', async () => {
    const module = write(
      'module',
      'tasks.ts',
      "const n: number = 1;\nif (n) throw new RangeError('no app today');\nexport const app = n;\n",
    );
    const { code, stderr } = await runCli(['worker', '--app', module]);
    expect(code).toBe(1);
    expectOneLine(stderr, `Could not load the tasks module ${module}: RangeError: no app today (at ${module}:2:14)`);
  });
});
