#!/usr/bin/env node
// Check a packed taskq package (the .tgz `pnpm pack` writes) before it can reach the registry: it
// carries its README and the repository's LICENSE, its entry points and bin, no tests or build
// state, source maps whose sources are inside the tarball, and real versions instead of
// `workspace:*`. Used by scripts/release-dry-run.js and the outside-project test.
//   node scripts/check-package-tarball.js <tarball.tgz>…
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, posix, relative, resolve } = require('node:path');

const ROOT_LICENSE = join(__dirname, '..', 'LICENSE');
const DEPENDENCY_FIELDS = ['dependencies', 'peerDependencies', 'optionalDependencies'];
const REQUIRED_FIELDS = ['description', 'keywords', 'homepage', 'bugs', 'repository', 'license', 'engines'];
const TEST_FILE = /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]sx?$/;

/**
 * Unpack `tarball` into a temporary directory and check it.
 * @param {string} tarball path of a .tgz written by `pnpm pack`
 * @returns {{ label: string, files: string[], unpackedBytes: number, problems: string[] }}
 */
function checkPackageTarball(tarball) {
  const dir = mkdtempSync(join(tmpdir(), 'taskq-tarball-'));
  try {
    const untar = spawnSync('tar', ['-xzf', resolve(tarball), '-C', dir], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`Could not unpack ${tarball}: ${untar.stderr}`);
    return checkPackageDir(join(dir, 'package'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The checks of {@link checkPackageTarball}, on an unpacked `package/` directory. */
function checkPackageDir(root) {
  const files = listFiles(root);
  const has = (file) => files.includes(posix.normalize(file.replace(/^\.\//, '')));
  const problems = [];
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const label = `${manifest.name}@${manifest.version}`;

  for (const field of REQUIRED_FIELDS) {
    if (manifest[field] === undefined) problems.push(`package.json has no "${field}"`);
  }
  if (manifest.repository && !manifest.repository.directory) problems.push('package.json "repository" names no "directory"');

  if (!has('README.md')) problems.push('README.md is missing');
  if (!has('LICENSE')) problems.push('LICENSE is missing');
  else if (existsSync(ROOT_LICENSE) && readFileSync(join(root, 'LICENSE'), 'utf8') !== readFileSync(ROOT_LICENSE, 'utf8')) {
    problems.push('LICENSE differs from the repository root LICENSE (copy it again)');
  }

  for (const entry of entryPoints(manifest)) {
    if (!has(entry)) problems.push(`entry point ${entry} is missing (not built?)`);
  }
  for (const [command, target] of Object.entries(binTargets(manifest))) {
    if (!has(target)) {
      problems.push(`bin "${command}" → ${target} is missing`);
      continue;
    }
    const file = join(root, target);
    if (!readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node')) problems.push(`bin ${target} has no '#!/usr/bin/env node' line`);
    if ((statSync(file).mode & 0o111) === 0) problems.push(`bin ${target} is not executable`);
  }

  for (const file of files) {
    if (TEST_FILE.test(file)) problems.push(`test file shipped: ${file}`);
    if (file.endsWith('.tsbuildinfo')) problems.push(`build state shipped: ${file}`);
    if (file.endsWith('.map')) problems.push(...unresolvedSources(root, file, has));
  }

  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${dependency} is still "${range}"`);
      else if (dependency.startsWith('@taskq/') && range !== manifest.version) {
        problems.push(`${field}.${dependency} is "${range}", expected "${manifest.version}" (the packages move in lockstep)`);
      }
    }
  }

  const unpackedBytes = files.reduce((sum, file) => sum + statSync(join(root, file)).size, 0);
  return { label, files, unpackedBytes, problems };
}

/** The sources of one source map that do not resolve to a file in the package. */
function unresolvedSources(root, mapFile, has) {
  let map;
  try {
    map = JSON.parse(readFileSync(join(root, mapFile), 'utf8'));
  } catch {
    return [`${mapFile} is not valid JSON`];
  }
  const base = posix.join(posix.dirname(mapFile), map.sourceRoot ?? '');
  return (map.sources ?? [])
    .filter((source) => {
      const target = posix.normalize(posix.join(base, source));
      return target.startsWith('../') || !has(target);
    })
    .map((source) => `${mapFile} points at ${source}, which is not in the package (src missing from "files", or a stale build output)`);
}

function entryPoints(manifest) {
  const entries = new Set([manifest.main, manifest.types].filter(Boolean));
  const walk = (value) => {
    if (typeof value === 'string') entries.add(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  return [...entries];
}

function binTargets(manifest) {
  if (typeof manifest.bin === 'string') return { [manifest.name.replace(/^@[^/]+\//, '')]: manifest.bin };
  return manifest.bin ?? {};
}

function listFiles(root, dir = root) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(root, path) : [relative(root, path).split('\\').join('/')];
  });
}

module.exports = { checkPackageTarball, checkPackageDir };

if (require.main === module) {
  const tarballs = process.argv.slice(2);
  if (tarballs.length === 0) {
    process.stderr.write('usage: node scripts/check-package-tarball.js <tarball.tgz>…\n');
    process.exit(2);
  }
  let failed = false;
  for (const tarball of tarballs) {
    const { label, files, problems } = checkPackageTarball(tarball);
    process.stdout.write(`${problems.length ? '✗' : '✓'} ${label} (${files.length} files)\n`);
    for (const problem of problems) process.stdout.write(`    ${problem}\n`);
    failed ||= problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
