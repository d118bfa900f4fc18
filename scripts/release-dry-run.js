#!/usr/bin/env node
// `pnpm release:dry-run`: a release short of publishing (docs/RELEASING.md). Builds, checks that the
// published packages share one version, packs each one and checks the tarball's contents
// (scripts/check-package-tarball.js), then runs `pnpm -r publish --dry-run`. Exits 1 on any problem.
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, relative } = require('node:path');
const { checkPackageTarball } = require('./check-package-tarball');

const root = join(__dirname, '..');

function run(command, args, cwd = root) {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    process.stderr.write(`${result.stdout}${result.stderr}\n✗ ${command} ${args.join(' ')} failed (exit ${result.status})\n`);
    process.exit(1);
  }
  return result.stdout;
}

function fail(message) {
  process.stderr.write(`✗ ${message}\n`);
  process.exit(1);
}

const published = JSON.parse(run('pnpm', ['ls', '-r', '--depth', '-1', '--json'])).filter((pkg) => !pkg.private);
const versions = new Set(published.map((pkg) => pkg.version));
if (versions.size !== 1) {
  fail(`The published packages must share one version: ${published.map((pkg) => `${pkg.name}@${pkg.version}`).join(', ')}`);
}
const [version] = versions;
process.stdout.write(`Release dry run: ${published.map((pkg) => pkg.name).join(', ')} at ${version}\n`);

run(process.execPath, [require.resolve('typescript/bin/tsc'), '-b']);
process.stdout.write('✓ built (tsc -b)\n');

const packDir = mkdtempSync(join(tmpdir(), 'taskq-release-'));
let problems = 0;
try {
  for (const pkg of published) {
    const before = new Set(readdirSync(packDir));
    run('pnpm', ['pack', '--pack-destination', packDir], pkg.path);
    const [tarball] = readdirSync(packDir).filter((file) => !before.has(file));
    if (!tarball) fail(`pnpm pack wrote no tarball for ${pkg.name}`);
    const { label, files, unpackedBytes, problems: found } = checkPackageTarball(join(packDir, tarball));
    const size = `${files.length} files, ${(unpackedBytes / 1024).toFixed(0)} kB unpacked`;
    process.stdout.write(`${found.length ? '✗' : '✓'} ${label} (${relative(root, pkg.path)}): ${size}\n`);
    for (const problem of found) process.stdout.write(`    ${problem}\n`);
    problems += found.length;
  }
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
if (problems > 0) fail(`${problems} problem(s) in the tarballs; nothing was published`);

// pnpm publishes in dependency order and skips versions the registry already has.
const log = run('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks']);
const wouldPublish = [...log.matchAll(/^\+ (\S+)$/gm)].map((match) => match[1]);
process.stdout.write(`✓ pnpm -r publish --dry-run would publish: ${wouldPublish.join(', ') || 'nothing'}\n`);
for (const pkg of published) {
  if (!wouldPublish.includes(`${pkg.name}@${version}`)) {
    process.stdout.write(`  ${pkg.name}@${version} is not in that list: already on the registry? Bump the version.\n`);
  }
}
const tag = `v${version}`;
if (spawnSync('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}`], { cwd: root }).status === 0) {
  process.stdout.write(`  the git tag ${tag} already exists: bump the version before releasing.\n`);
}
