import { createConsoleLogger, silentLogger } from '../../../src';
import { StderrLines } from '../../../src/stderr-lines';

describe('the console logger', () => {
  it('writes lines at or above its level and says which levels it drops', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger('warn', (line) => lines.push(line));
    logger.info('not shown');
    logger.warn('shown');
    logger.error('failed', new Error('why'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* WARN {2}shown$/);
    expect(lines[1]).toContain('ERROR failed\nError: why');
    // The worker skips formatting per-task lines at dropped levels.
    expect(logger.isLevelEnabled?.('info')).toBe(false);
    expect(logger.isLevelEnabled?.('warn')).toBe(true);
    expect(silentLogger.isLevelEnabled?.('error')).toBe(false);
  });
});

describe('stderr lines in batches', () => {
  it('writes lines that come close together in one write, and a warning at once with everything before it', async () => {
    const writes: string[] = [];
    const lines = new StderrLines((text) => writes.push(text));
    lines.write('one');
    lines.write('two');
    expect(writes).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(writes).toEqual(['one\ntwo\n']);
    lines.write('three');
    lines.write('careful', true);
    expect(writes).toEqual(['one\ntwo\n', 'three\ncareful\n']);
  });

  it('never throws when stderr cannot be written', () => {
    const lines = new StderrLines(() => {
      throw new Error('EPIPE');
    });
    expect(() => lines.write('lost', true)).not.toThrow();
  });
});
