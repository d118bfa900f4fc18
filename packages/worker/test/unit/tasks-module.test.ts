import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTsx, moduleFormat } from '../../src/tasks-module';

describe('moduleFormat', () => {
  const root = mkdtempSync(join(tmpdir(), 'taskq-format-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('goes by the extension, else by the nearest package.json "type", as Node does', () => {
    mkdirSync(join(root, 'esm', 'src'), { recursive: true });
    mkdirSync(join(root, 'esm', 'legacy'), { recursive: true });
    writeFileSync(join(root, 'esm', 'package.json'), '{"type":"module"}');
    writeFileSync(join(root, 'esm', 'legacy', 'package.json'), '{}');
    expect(moduleFormat(join(root, 'esm', 'src', 'tasks.ts'))).toBe('module');
    expect(moduleFormat(join(root, 'esm', 'src', 'tasks.js'))).toBe('module');
    expect(moduleFormat(join(root, 'esm', 'src', 'tasks.cts'))).toBe('commonjs');
    expect(moduleFormat(join(root, 'esm', 'legacy', 'tasks.js'))).toBe('commonjs'); // the nearest package.json wins
    expect(moduleFormat(join(root, 'esm', 'legacy', 'tasks.mjs'))).toBe('module');
    expect(moduleFormat(join(root, 'tasks.mts'))).toBe('module');
  });
});

describe('findTsx', () => {
  it("finds tsx's CommonJS API and the ES module build of its ESM API", () => {
    const tsx = findTsx([undefined, join(__dirname, '..', '..', '..', '..', 'apps', 'cli', 'package.json')]);
    expect(tsx.cjs).toMatch(/tsx[\\/]dist[\\/]cjs[\\/]api[\\/]index\.cjs$/);
    expect(tsx.esm).toMatch(/^file:.*tsx\/dist\/esm\/api\/index\.mjs$/);
  });
});
