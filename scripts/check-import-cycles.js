#!/usr/bin/env node
// `pnpm lint` part two: no import cycles inside a package's src (type-only imports count too: a
// cycle of types is a cycle of design). Follows relative imports and exports between .ts files;
// prints every cycle found and exits 1, or prints nothing.
'use strict';
const { readdirSync, readFileSync, existsSync, statSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const root = join(__dirname, '..');
const SOURCES = ['packages/core/src', 'packages/worker/src', 'apps/cli/src'];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g;

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

function resolveImport(from, spec) {
  const base = resolve(dirname(from), spec);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return existsSync(base) && statSync(base).isFile() ? base : undefined;
}

const graph = new Map();
for (const dir of SOURCES) {
  for (const file of filesUnder(join(root, dir))) {
    const text = readFileSync(file, 'utf8');
    graph.set(file, [...text.matchAll(IMPORT)].map((m) => resolveImport(file, m[1])).filter(Boolean));
  }
}

// Depth-first search; a back edge to a file on the current path is a cycle.
const cycles = [];
const state = new Map(); // 1 = on the path, 2 = done
function visit(file, path) {
  state.set(file, 1);
  path.push(file);
  for (const next of graph.get(file) ?? []) {
    if (state.get(next) === 1) cycles.push([...path.slice(path.indexOf(next)), next]);
    else if (!state.has(next)) visit(next, path);
  }
  path.pop();
  state.set(file, 2);
}
for (const file of graph.keys()) if (!state.has(file)) visit(file, []);

if (cycles.length > 0) {
  for (const cycle of cycles) process.stderr.write(`import cycle: ${cycle.map((f) => relative(root, f)).join(' → ')}\n`);
  process.exit(1);
}
