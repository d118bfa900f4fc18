import { createConsoleLogger, silentLogger } from '../../../src';

describe('the console logger', () => {
  it('writes lines at or above its level and says which levels it drops', () => {
    const lines: string[] = [];
    const logger = createConsoleLogger('warn', (line) => lines.push(line));
    logger.info('not shown');
    logger.warn('shown');
    logger.error('failed', new Error('why'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT.* WARN  shown$/);
    expect(lines[1]).toContain('ERROR failed\nError: why');
    // The worker skips formatting per-task lines at dropped levels.
    expect(logger.isLevelEnabled?.('info')).toBe(false);
    expect(logger.isLevelEnabled?.('warn')).toBe(true);
    expect(silentLogger.isLevelEnabled?.('error')).toBe(false);
  });
});
