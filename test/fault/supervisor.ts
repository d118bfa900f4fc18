import { killAll, type CliProcess } from '../../apps/cli/test/support/cli-process';
import { sleep } from './waiting';

/** Pause before a dead worker's replacement starts, as systemd's RestartSec would. */
const RESTART_DELAY_MS = 200;

/**
 * Keeps `count` worker processes running, as systemd or Kubernetes would: any that exits is
 * counted as a death and replaced. `stop()` kills them all (deaths after that are not counted).
 */
export class Supervisor {
  /** Workers that exited while supervised, with how they ended. */
  readonly deaths: Array<{ code: number | null; signal: NodeJS.Signals | null }> = [];
  private readonly processes: CliProcess[] = [];
  private readonly restarts = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly spawn: () => CliProcess) {}

  /** Start `count` workers and wait until each printed its banner. */
  async start(count: number): Promise<void> {
    await Promise.all(Array.from({ length: count }, () => this.launch().waitFor('taskq worker ready')));
  }

  /** Every process started so far (their output, for a failing scenario's message). */
  get all(): readonly CliProcess[] {
    return this.processes;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.restarts);
    await killAll(this.processes);
  }

  private launch(): CliProcess {
    const cli = this.spawn();
    this.processes.push(cli);
    void cli.exited.then((how) => {
      if (this.stopped) return;
      this.deaths.push(how);
      const restart = sleep(RESTART_DELAY_MS).then(() => {
        if (!this.stopped) this.launch();
      });
      this.restarts.add(restart);
      void restart.finally(() => this.restarts.delete(restart));
    });
    return cli;
  }
}
