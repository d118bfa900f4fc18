#!/usr/bin/env node
// Prints the fault suite's table from the rows the scenarios recorded (columns and cells are
// formatted by fault-report.ts, so the table is defined in one place).
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const file = join(__dirname, '..', '..', '.fault-results.jsonl');
if (!existsSync(file)) {
  console.error('No fault results recorded.');
  process.exit(0);
}
const rows = readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
if (rows.length === 0) {
  console.error('No fault results recorded.');
  process.exit(0);
}
const row = (cells) => `| ${cells.join(' | ')} |`;
console.log('\nFault suite results (lost, false results and ran twice after a storage fault must be 0):\n');
console.log(row(rows[0].columns));
console.log(row(rows[0].columns.map(() => '---')));
for (const r of rows) console.log(row(r.cells));
