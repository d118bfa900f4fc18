/**
 * Why a tasks module failed to load, in one line a person can act on: where a syntax error is
 * (file:line:column), which import is missing and from which file — no stack, no "Require stack".
 */
import { spawnSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a syntax error is, 1-based as editors count. */
interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** tsx compiles with esbuild, whose errors read `Transform failed with 1 error:\n<file>:<line>:<column0>: ERROR: <text>`. */
const ESBUILD_ERROR = /^Transform failed with \d+ errors?:\n(.+?):(\d+):(\d+): ERROR: (.*)$/m;
/**
 * V8's own pointer to a syntax error, at the start of a decorated stack (and of `node --check`'s
 * output): `<file or file:// URL>:<line>`, the source line, then a caret under the column.
 */
const V8_ARROW = /^(.+):(\d+)\r?\n(.*)\r?\n([ \t]*)\^/;

/** One line for `err`, thrown while loading `file`. Never throws. */
export function describeLoadError(err: unknown, file: string): string {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as NodeJS.ErrnoException).code;
  const firstLine = error.message.split('\n')[0] ?? '';
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return missingModule(error, firstLine) ?? firstLine;
  const esbuild = ESBUILD_ERROR.exec(error.message);
  if (esbuild) {
    const [, where = file, line = '0', column = '0', text = ''] = esbuild;
    // esbuild counts columns from 0; editors (and V8) from 1.
    const message = `SyntaxError at ${where}:${line}:${Number(column) + 1}: ${text}`;
    // esbuild's errors carry no code (tsx adds ERR_REQUIRE_ASYNC_MODULE only sometimes): its text it is.
    return code === 'ERR_REQUIRE_ASYNC_MODULE' || /top-level await/i.test(text) ? `${message}. ${TOP_LEVEL_AWAIT_HINT}` : message;
  }
  if (code === 'ERR_REQUIRE_ASYNC_MODULE') return `${firstLine} ${TOP_LEVEL_AWAIT_HINT}`;
  if (error.name === 'SyntaxError') {
    const location = arrowLocation(error.stack ?? '') ?? checkSyntax(file);
    return location ? `SyntaxError at ${format(location)}: ${error.message}` : `SyntaxError: ${error.message}`;
  }
  const frame = frameIn(error.stack ?? '', file);
  return `${error.name}: ${firstLine}${frame ? ` (at ${frame})` : ''}`;
}

const TOP_LEVEL_AWAIT_HINT =
  'Top-level await needs an ES module: name the file .mts (or .mjs), or add "type": "module" to its package.json.';

/** `cannot find module 'x' imported from /abs/file.ts (…)`, from Node's CommonJS or ESM error. */
function missingModule(error: Error, firstLine: string): string | undefined {
  const esm = /^Cannot find (?:package|module) '([^']+)' imported from (.+)$/.exec(firstLine);
  const cjs = /^Cannot find module '([^']+)'/.exec(firstLine);
  const specifier = esm?.[1] ?? cjs?.[1];
  const importer = esm?.[2] ?? (error as { requireStack?: string[] }).requireStack?.[0];
  if (!specifier) return undefined;
  const path = specifier.startsWith('.') || isAbsolute(specifier);
  const from = importer ? ` imported from ${toPath(importer)}` : '';
  return `cannot find module '${specifier}'${from} (${path ? 'no such file: fix the import' : 'install it, or fix the import'})`;
}

function arrowLocation(text: string): SourceLocation | undefined {
  const match = V8_ARROW.exec(text);
  if (!match) return undefined;
  const [, where = '', line = '0', , indent = ''] = match;
  return { file: toPath(where), line: Number(line), column: indent.length + 1 };
}

/**
 * V8 does not put the location on the SyntaxError of an ES module (Node only prints it when the
 * error is fatal), so ask `node --check`, which prints it. Only for JavaScript files: TypeScript
 * errors come from esbuild with their location. Runs only after a failure.
 */
function checkSyntax(file: string): SourceLocation | undefined {
  if (!/\.[cm]?js$/.test(file)) return undefined;
  const result = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  return result.status === 0 ? undefined : arrowLocation(result.stderr ?? '');
}

/** `file:line:column` of the first stack frame inside `file` (tsx maps TypeScript positions back). */
function frameIn(stack: string, file: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    const match = /\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (match && toPath(match[1] ?? '') === file) return `${file}:${match[2]}:${match[3]}`;
  }
  return undefined;
}

function format({ file, line, column }: SourceLocation): string {
  return `${file}:${line}:${column}`;
}

/** A path from a path or a `file://` URL (with any loader query dropped). */
function toPath(where: string): string {
  if (!where.startsWith('file://')) return where;
  try {
    const url = new URL(where);
    url.search = '';
    return fileURLToPath(url);
  } catch {
    return where;
  }
}
