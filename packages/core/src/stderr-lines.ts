import { writeSync } from 'node:fs';

/** How long an info line may wait to share a write with the lines after it. */
const BATCH_MS = 20;

/**
 * Writes log lines to stderr in batches: lines go out together at most {@link BATCH_MS} after the
 * first of them (a busy worker logs a line per task; a write per line cost it about a fifth of its
 * throughput). `urgent` lines — warnings and errors — flush everything at once, and whatever is
 * pending is written synchronously when the process exits, even on a crash. Only a SIGKILL can
 * lose lines: those of the last 20 ms.
 */
export class StderrLines {
  private pending: string[] = [];
  private scheduled = false;
  private exitHooked = false;

  /** @param writeText where a batch goes: stderr, synchronously (tests pass a recorder) */
  constructor(private readonly writeText: (text: string) => void = (text) => writeSync(2, text)) {}

  write(line: string, urgent = false): void {
    this.pending.push(line);
    if (urgent) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), BATCH_MS).unref();
      if (!this.exitHooked) {
        this.exitHooked = true;
        process.once('exit', () => this.flush());
      }
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    try {
      this.writeText(text);
    } catch {
      // stderr closed (EPIPE) or would block: logging must never take the process down.
    }
  }
}

/** The process-wide batcher behind the default console logger. */
export const stderrLines = new StderrLines();
