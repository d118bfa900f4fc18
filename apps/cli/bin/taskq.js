#!/usr/bin/env node
// The `taskq` command. A committed file rather than dist/bin.js itself, so that `pnpm install` can
// link it in a fresh clone before `tsc -b` has built dist/ (and does not warn about a missing bin).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'bin.js');
if (!existsSync(entry)) {
  process.stderr.write(`taskq: ${entry} is missing: @taskq/cli is not built. In the taskq repository, run \`pnpm build\`.\n`);
  process.exit(1);
}
require(entry);
