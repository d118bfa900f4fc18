#!/usr/bin/env node
// Prints the fault suite's table from the rows the scenarios recorded.
'use strict';
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const file = join(__dirname, '..', '..', '.fault-results.jsonl');
if (!existsSync(file)) {
  console.error('No fault results recorded.');
  process.exit(0);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
console.log('\nFault suite results (lost must be 0):\n');
console.log('| scenario | sent | confirmed | ran | lost | duplicated | recovered | seconds |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const f of rows) {
  console.log(`| ${f.scenario} | ${f.sent} | ${f.confirmed} | ${f.ran} | ${f.lost} | ${f.duplicated} | ${f.recovered} | ${f.seconds.toFixed(1)} |`);
}
