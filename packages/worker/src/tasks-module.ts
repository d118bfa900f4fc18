/**
 * Load a tasks module as Node would run it, the same way in the CLI and in task threads
 * (`isolate: 'thread'`). ES modules — `.mjs`, `.mts`, `.js`/`.ts` in a `"type": "module"`
 * package — load through `import()`, so top-level `await` works; CommonJS loads through
 * `require`, as it always did. TypeScript compiles through tsx, which the caller finds with
 * {@link findTsx}.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where tsx's loaders are, when it is installed. */
export interface TsxLocation {
  /** The file of `tsx/cjs/api` (compiles `.ts` on `require`). */
  cjs?: string;
  /** The file URL of `tsx/esm/api`'s ES module build (compiles `.ts` on `import()`). */
  esm?: string;
}

const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Whether `file` is TypeScript (and so needs tsx). */
export function isTypeScript(file: string): boolean {
  return TYPESCRIPT_EXTENSIONS.has(extname(file));
}

/**
 * tsx as installed next to the first of `searchFrom` (file paths) that resolves it. The ESM API
 * is taken from tsx's package `exports` as an ES module on purpose: its CommonJS build (tsx 4.23)
 * registers the loader by a path relative to the wrong file and fails.
 */
export function findTsx(searchFrom: ReadonlyArray<string | undefined>): TsxLocation {
  for (const from of searchFrom) {
    if (!from) continue;
    try {
      const require = createRequire(from);
      return { cjs: require.resolve('tsx/cjs/api'), ...esmApi(require.resolve('tsx/package.json')) };
    } catch {
      // not resolvable from there
    }
  }
  return {};
}

function esmApi(packageJson: string): Pick<TsxLocation, 'esm'> {
  const exported = (JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: Record<string, unknown> }).exports?.['./esm/api'];
  const imported = (exported as { import?: unknown } | undefined)?.import;
  const target = typeof imported === 'string' ? imported : (imported as { default?: unknown } | undefined)?.default;
  return typeof target === 'string' ? { esm: pathToFileURL(join(dirname(packageJson), target)).href } : {};
}

/** How Node treats `file`: by extension, else by the nearest package.json's `"type"`. */
export function moduleFormat(file: string): 'module' | 'commonjs' {
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return 'module';
  if (ext === '.cjs' || ext === '.cts') return 'commonjs';
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const packageJson = join(dir, 'package.json');
    if (existsSync(packageJson)) {
      try {
        return (JSON.parse(readFileSync(packageJson, 'utf8')) as { type?: unknown }).type === 'module' ? 'module' : 'commonjs';
      } catch {
        return 'commonjs'; // Node reports a broken package.json itself when it loads the module
      }
    }
    if (dirname(dir) === dir) return 'commonjs';
  }
}

/** tsx's hooks are registered once per thread. */
const registered = { cjs: false, esm: false };

/** `require()` of an ES module it cannot load synchronously (top-level `await`, or no require(esm)). */
const NEEDS_IMPORT = new Set(['ERR_REQUIRE_ASYNC_MODULE', 'ERR_REQUIRE_ESM']);

/**
 * Load `file` (an absolute path) and return its exports: `module.exports` for CommonJS, the
 * module namespace for an ES module.
 */
export async function importTasksModule(file: string, tsx: TsxLocation): Promise<Record<string, unknown>> {
  const typescript = isTypeScript(file);
  // The CommonJS hook also serves CommonJS .ts files that an ES module imports.
  if (typescript && tsx.cjs && !registered.cjs) {
    (require(tsx.cjs) as { register(): unknown }).register();
    registered.cjs = true;
  }
  if (moduleFormat(file) === 'commonjs') {
    try {
      return require(file) as Record<string, unknown>;
    } catch (err) {
      // A .js file with ES module syntax in a package without "type": Node detects it as an ES
      // module, but require() cannot wait for its top-level await. import() can.
      if (typescript || !NEEDS_IMPORT.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  // Registered only for ES module TypeScript: it starts a loader thread (~200 ms).
  if (typescript && tsx.esm && !registered.esm) {
    ((await import(tsx.esm)) as { register(): unknown }).register();
    registered.esm = true;
  }
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}
