import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TaskqError, type TaskqApp } from '@taskq/core';
import { findTsx, importTasksModule } from '@taskq/worker';
import { describeLoadError } from './module-load-error';

/**
 * Load the user's tasks module and return the app it exports (as `app` or as the default export).
 * CommonJS and ES modules both work, top-level `await` included; TypeScript modules load without
 * a build step through tsx (the CLI's own copy).
 */
export async function loadApp(modulePath: string): Promise<TaskqApp> {
  const file = resolveModule(modulePath);
  let loaded: Record<string, unknown>;
  try {
    loaded = await importTasksModule(file, findTsx([__filename]));
  } catch (err) {
    if (err instanceof TaskqError) throw err; // e.g. invalid routing files, reported as they are
    throw new TaskqError('APP_LOAD_FAILED', `Could not load the tasks module ${file}: ${describeLoadError(err, file)}`, { cause: err });
  }
  const app = pickApp(loaded);
  if (!app) {
    const names = Object.keys(loaded).join(', ') || 'nothing';
    throw new TaskqError(
      'APP_NOT_FOUND',
      `The module ${file} does not export a taskq app (it exports: ${names}). ` +
        `Add 'export const app = createApp()' (or a default export).`,
    );
  }
  // Worker threads (tasks with isolate: 'thread') load this same module.
  if (!app.sourceModule) app.setSourceModule(file);
  return app;
}

function resolveModule(modulePath: string): string {
  const file = resolve(process.cwd(), modulePath);
  if (existsSync(file)) return file;
  for (const ext of ['.js', '.ts', '.cjs', '.mjs', '.mts', '.cts']) {
    if (existsSync(file + ext)) return file + ext;
  }
  throw new TaskqError(
    'APP_NOT_FOUND',
    `Tasks module '${modulePath}' not found (looked for ${file} and ${file}.{js,ts,…}). Pass the path with --app, e.g. --app ./src/tasks.ts`,
  );
}

function pickApp(loaded: Record<string, unknown>): TaskqApp | undefined {
  const candidates = [loaded['app'], loaded['default'], (loaded['default'] as Record<string, unknown> | undefined)?.['app']];
  return candidates.find(isApp) as TaskqApp | undefined;
}

function isApp(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { isTaskqApp?: unknown }).isTaskqApp === true;
}
