// The packages as a user gets them: packed with `pnpm pack`, installed with plain npm into a project
// outside the workspace (no workspace links, no hoisting, no path mapping), then type-checked and run.
import { execFile, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BROKER_URL, BrokerFixture, uniqueName } from '../../../../test/support/broker';
import { FIXTURES } from '../support/cli-process';

const REPO = join(__dirname, '..', '..', '..', '..');
const PUBLISHED = ['packages/core', 'packages/worker', 'apps/cli'];
const PROJECT_FIXTURE = join(FIXTURES, 'outside-project');
/** A guard, not a target: @taskq/cli pulled in 23 packages when apps/cli/README.md was written. */
const MAX_RUNTIME_PACKAGES = 30;

const { checkPackageTarball } = require('../../../../scripts/check-package-tarball') as {
  checkPackageTarball(tarball: string): { label: string; files: string[]; unpackedBytes: number; problems: string[] };
};
const execFileAsync = promisify(execFile);

/** The environment without what `pnpm test` sets for its own scripts (npm would read it as config). */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^p?npm_/i.test(key) || keep.has(key)));
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: plainEnv(), encoding: 'utf8', timeout: 180_000 });
  if (result.error) throw result.error;
  return result;
}

function runOrFail(command: string, args: string[], cwd: string): string {
  const result = run(command, args, cwd);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}) in ${cwd}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** Bytes of the files under `dir`, each inode once (esbuild's postinstall hard-links its binary). */
function directoryBytes(dir: string, seen = new Set<number>()): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    if (entry.name === 'node_modules') return sum; // nested packages are counted on their own
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sum + directoryBytes(path, seen);
    const { ino, size } = statSync(path);
    if (seen.has(ino)) return sum;
    seen.add(ino);
    return sum + size;
  }, 0);
}

describe('the packed packages in a project outside the workspace', () => {
  const broker = new BrokerFixture();
  const packDir = mkdtempSync(join(tmpdir(), 'taskq-packs-'));
  const project = mkdtempSync(join(tmpdir(), 'taskq-outside-'));
  const tarballs: string[] = [];
  let worker: ChildProcess | undefined;

  beforeAll(() => {
    runOrFail(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], REPO);
    for (const pkg of PUBLISHED) {
      const before = new Set(readdirSync(packDir));
      runOrFail('pnpm', ['pack', '--pack-destination', packDir], join(REPO, pkg));
      tarballs.push(
        ...readdirSync(packDir)
          .filter((file) => !before.has(file))
          .map((file) => join(packDir, file)),
      );
    }
    cpSync(PROJECT_FIXTURE, project, { recursive: true });
    runOrFail('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs], project);
  }, 240_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
    await broker.cleanup();
    rmSync(project, { recursive: true, force: true });
    rmSync(packDir, { recursive: true, force: true });
  });

  it('packs README, LICENSE, entry points and sources for every source map, with real versions for workspace:*', () => {
    expect(tarballs).toHaveLength(PUBLISHED.length);
    for (const tarball of tarballs) {
      const { label, problems } = checkPackageTarball(tarball);
      expect({ label, problems }).toEqual({ label, problems: [] });
    }
  });

  it('type-checks a TypeScript tasks module, a producer and a library worker against the packed declarations', () => {
    const tsc = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--pretty', 'false'], project);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('refuses to compile a call whose argument or result types do not match the task, naming each line', () => {
    const source = readFileSync(join(project, 'wrong-types.ts'), 'utf8').split('\n');
    const wrongLines = source.flatMap((line, index) => (line.includes('// wrong:') ? [index + 1] : []));
    const tsc = run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.wrong-types.json', '--pretty', 'false'], project);
    expect(tsc.status).not.toBe(0);
    const errors = [...tsc.stdout.matchAll(/^wrong-types\.ts\((\d+),\d+\): error (TS\d+): (.*)$/gm)];
    expect(errors.map((match) => Number(match[1]))).toEqual(wrongLines);
    expect(errors[0]?.[3]).toContain(`Argument of type 'string' is not assignable to parameter of type 'number'`);
    expect(errors[1]?.[3]).toContain(`Type 'number' is not assignable to type 'string'`);
  });

  it('runs the installed taskq bin on a .ts tasks module, answers an ESM and a CommonJS producer, and stops on SIGTERM with exit 0', async () => {
    const queue = broker.queue(uniqueName('outside'));
    const child = spawn(
      join(project, 'node_modules', '.bin', 'taskq'),
      ['worker', '--app', './tasks.ts', '--queue', queue, '--broker', BROKER_URL],
      {
        cwd: project,
        env: plainEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    worker = child;
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await BrokerFixture.eventually(() => output.includes('taskq worker ready') || child.exitCode !== null, 'the worker banner', 30_000);
    expect(output).toContain('taskq worker ready');
    expect(output).toMatch(/tasks \(2\): outside\.add, outside\.where/);

    const env = plainEnv({ TASKQ_BROKER_URL: BROKER_URL });
    const esm = await execFileAsync(process.execPath, ['producer.mjs', queue], { cwd: project, env, timeout: 30_000 });
    expect(JSON.parse(esm.stdout)).toEqual({ value: 5 });
    const cjs = await execFileAsync(process.execPath, ['producer.cjs', queue], { cwd: project, env, timeout: 30_000 });
    expect(JSON.parse(cjs.stdout)).toEqual({ sum: 42, where: { pid: child.pid, queue } });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('Worker stopped.');
  });

  it('keeps the runtime dependencies of @taskq/cli few (see apps/cli/README.md)', () => {
    const listed = runOrFail('npm', ['ls', '--all', '--omit=dev', '--parseable'], project).trim().split('\n').slice(1);
    const seen = new Set<number>();
    const bytes = listed.reduce((sum, dir) => sum + directoryBytes(dir, seen), 0);
    const names = listed.map((dir) => dir.slice(dir.lastIndexOf('node_modules/') + 'node_modules/'.length)).sort();
    process.stdout.write(
      `npm install @taskq/core @taskq/worker @taskq/cli: ${names.length} packages, ${(bytes / 1e6).toFixed(1)} MB\n  ${names.join(', ')}\n`,
    );
    expect(names).toEqual(expect.arrayContaining(['@taskq/cli', '@taskq/core', '@taskq/worker', 'commander', 'tsx']));
    expect(names.length).toBeLessThanOrEqual(MAX_RUNTIME_PACKAGES);
  });
});
