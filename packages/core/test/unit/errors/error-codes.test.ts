import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BrokerError, ConfigError, ERROR_CODES, TaskFailedError, TaskqError } from '../../../src';

/** The README's `### Errors` section, up to the next heading. */
function readmeErrorsSection(): string {
  const readme = readFileSync(path.resolve(__dirname, '../../../../../README.md'), 'utf8');
  const start = readme.indexOf('\n### Errors\n');
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf('\n#', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('error codes', () => {
  it("the README's Errors table lists every code", () => {
    const section = readmeErrorsSection();
    const missing = Object.keys(ERROR_CODES).filter((code) => !section.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it("the README's Errors table lists no code that does not exist", () => {
    const rows = readmeErrorsSection()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    const listed = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] ?? ''));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('keeps the code given to the constructor, and subclasses set their own', () => {
    expect(new TaskqError('INVALID_OPTION', 'x').code).toBe('INVALID_OPTION');
    expect(new BrokerError('BROKER_UNREACHABLE', 'x').code).toBe('BROKER_UNREACHABLE');
    expect(new ConfigError([{ file: 'f', key: '', message: 'm' }]).code).toBe('CONFIG_INVALID');
    expect(new TaskFailedError('id', 'ValueError', undefined, 'no', undefined, 'REVOKED').code).toBe('TASK_REVOKED');
  });
});
