/**
 * Reads routing config from disk: the only routing module that does I/O. Everything after reading
 * (parsing, validation) is pure and shared by the async and sync variants.
 *
 * A config location is a directory (one queue per `*.yaml|yml|json` file, read in file-name
 * order, plus an optional `_defaults.*` file) or a single file (`{ defaults?, queues: {...} }`).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors';
import type { RoutingConfig } from './route-config';
import { checkRoutingConfig, type RawRoutingDocument } from './validate-routing-config';
import {
  ROUTING_FILE_EXTENSIONS,
  hasRoutingExtension,
  isDefaultsFileName,
  isRoutingFileName,
  parseRoutingFile,
} from './parse-routing-file';

/** A file to read and how to interpret it. */
interface PlannedFile {
  file: string;
  kind: RawRoutingDocument['kind'];
}

/** The text of a planned file, or why it could not be read. */
type ReadResult = PlannedFile & ({ text: string } | { error: unknown });

/**
 * Loads and validates the routing config at `path` (relative paths resolve against
 * `process.cwd()`).
 * @throws ConfigError listing every problem in every file, or saying the path does not exist
 */
export async function loadRoutingConfig(path: string): Promise<RoutingConfig> {
  const location = resolve(path);
  const stats = await stat(location).catch((err: unknown) => throwPathError(location, err));
  const planned = stats.isDirectory()
    ? planDirectory(location, await listFiles(location).catch((err: unknown) => throwPathError(location, err)))
    : planFile(location);
  const read = await Promise.all(
    planned.map(async (p): Promise<ReadResult> => {
      try {
        return { ...p, text: await readFile(p.file, 'utf8') };
      } catch (error) {
        return { ...p, error };
      }
    }),
  );
  return buildConfig(read);
}

/**
 * Synchronous {@link loadRoutingConfig}, for constructors that must have the config at once.
 * @throws ConfigError listing every problem in every file, or saying the path does not exist
 */
export function loadRoutingConfigSync(path: string): RoutingConfig {
  const location = resolve(path);
  let planned: PlannedFile[];
  try {
    planned = statSync(location).isDirectory() ? planDirectory(location, listFilesSync(location)) : planFile(location);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    return throwPathError(location, err);
  }
  const read = planned.map((p): ReadResult => {
    try {
      return { ...p, text: readFileSync(p.file, 'utf8') };
    } catch (error) {
      return { ...p, error };
    }
  });
  return buildConfig(read);
}

/** Routing files directly in `dir` (symlinks followed); subdirectories are ignored. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => isRoutingFileName(e.name));
  const linksToFile = async (name: string): Promise<boolean> => (await stat(join(dir, name)).catch(() => undefined))?.isFile() === true;
  const isFile = await Promise.all(entries.map(async (e) => e.isFile() || (e.isSymbolicLink() && linksToFile(e.name))));
  return entries.filter((_, i) => isFile[i]).map((e) => e.name);
}

function listFilesSync(dir: string): string[] {
  const linksToFile = (name: string): boolean => statSync(join(dir, name), { throwIfNoEntry: false })?.isFile() === true;
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => isRoutingFileName(e.name) && (e.isFile() || (e.isSymbolicLink() && linksToFile(e.name))))
    .map((e) => e.name);
}

/** Routing files of a directory in file-name order (code-point order, the same on every machine). */
function planDirectory(dir: string, fileNames: string[]): PlannedFile[] {
  return [...fileNames]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => ({ file: join(dir, name), kind: isDefaultsFileName(name) ? 'defaults' : 'queue' }));
}

function planFile(file: string): PlannedFile[] {
  if (!hasRoutingExtension(basename(file))) {
    const expected = ROUTING_FILE_EXTENSIONS.join(', ');
    throw new ConfigError([{ file, key: '', message: `expected a ${expected} file, or a directory of them` }]);
  }
  return [{ file, kind: 'combined' }];
}

/** Parses what was read, validates it, and throws one ConfigError with every problem. */
function buildConfig(read: ReadResult[]): RoutingConfig {
  const problems: ConfigProblem[] = [];
  const documents: RawRoutingDocument[] = [];
  for (const r of read) {
    if ('error' in r) {
      problems.push({ file: r.file, key: '', message: `cannot read the file: ${errorMessage(r.error)}` });
    } else {
      const parsed = parseRoutingFile(r.file, r.text, r.kind);
      if ('problem' in parsed) problems.push(parsed.problem);
      else documents.push(parsed.document);
    }
  }
  const checked = checkRoutingConfig(documents);
  problems.push(...checked.problems);
  if (problems.length) {
    // Report in file order, whichever stage found the problem.
    const order = new Map(read.map((r, i) => [r.file, i]));
    throw new ConfigError(problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0)));
  }
  return { ...checked.config, sources: read.map((r) => r.file) };
}

/** A ConfigError for a config path that is missing (with how to pass one) or unreadable. */
function throwPathError(location: string, err: unknown): never {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    throw new ConfigError(
      [
        {
          file: location,
          key: '',
          message:
            `routing config not found: no such file or directory. Pass the path of a routing directory or file ` +
            `with createApp({ config }), the --config option, or the TASKQ_CONFIG environment variable`,
        },
      ],
      { cause: err },
    );
  }
  const message = `cannot read the routing config: ${errorMessage(err)}`;
  throw new ConfigError([{ file: location, key: '', message }], { cause: err });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
