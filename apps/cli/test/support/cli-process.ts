import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'dist', 'bin.js');
export const FIXTURES = join(__dirname, '..', 'fixtures');

/** A running `taskq` process with its output collected. */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Wait until the combined output contains `text`. */
  async waitFor(text: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.stdout + this.stderr).includes(text)) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for '${text}'. Output so far:\n${this.stdout}${this.stderr}`);
      if (this.child.exitCode !== null)
        throw new Error(`taskq exited (${this.child.exitCode}) before printing '${text}':\n${this.stdout}${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Run `taskq` to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = new CliProcess(args, env);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout, stderr: cli.stderr };
}

/** SIGKILL every process still running (test cleanup) and wait for each to exit. */
export async function killAll(processes: CliProcess[]): Promise<void> {
  for (const cli of processes.splice(0)) {
    if (cli.child.exitCode === null && cli.child.signalCode === null) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
  }
}
