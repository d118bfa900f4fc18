import { stderrLines } from './stderr-lines';

/** Log levels in increasing severity; `silent` turns logging off. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** The logging surface taskq uses. Pass your own (pino, winston, console) through the app options. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
  /**
   * Optional: false when messages at `level` are dropped, so per-task lines are not even
   * formatted (pino and winston have the same method). Without it every level counts as enabled.
   */
  isLevelEnabled?(level: LogLevel): boolean;
}

/** True when `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVEL_RANK, value);
}

/**
 * A plain line logger: `2026-11-23T18:00:00.000Z INFO  message` to stderr. Errors print their
 * stack (the message alone when the error is a user mistake flagged `TaskqError`). Debug and info
 * lines are written in batches (at most 20 ms late), warnings and errors at once (see StderrLines).
 */
export function createConsoleLogger(level: LogLevel = 'info', write: (line: string, urgent: boolean) => void = defaultWrite): Logger {
  const threshold = LEVEL_RANK[level];
  const emit = (lvl: LogLevel, message: string): void => {
    if (LEVEL_RANK[lvl] >= threshold) write(`${new Date().toISOString()} ${LABELS[lvl]} ${message}`, LEVEL_RANK[lvl] >= LEVEL_RANK.warn);
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m, err) => emit('error', err === undefined ? m : `${m}\n${describeError(err)}`),
    isLevelEnabled: (lvl) => LEVEL_RANK[lvl] >= threshold,
  };
}

const LABELS: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO ', warn: 'WARN ', error: 'ERROR', silent: '' };

/** stderr, batched (at most 20 ms late); warnings and errors are written at once (see StderrLines). */
function defaultWrite(line: string, urgent: boolean): void {
  stderrLines.write(line, urgent);
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** A logger that discards everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, isLevelEnabled: () => false };
