'use strict';
/**
 * Runs a taskq measurement and its reference side by side, `rounds` times, alternating which goes
 * first (the broker and the machine drift during a run), and reports the median of each and the
 * per-round ratios. On a noisy shared machine one pair proves little; the spread shows the noise.
 */
const { median } = require('./stats');

async function compareInRounds(rounds, { taskq, reference }) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['reference', 'taskq'] : ['taskq', 'reference'];
    const pair = {};
    for (const side of order) pair[side] = await (side === 'taskq' ? taskq() : reference());
    results.push(pair);
  }
  const pick = (side, key) => results.map((pair) => pair[side][key]);
  return {
    results,
    taskq: (key) => median(pick('taskq', key)),
    reference: (key) => median(pick('reference', key)),
    /** taskq ÷ reference per round, and their median. */
    ratios: (key) => results.map((pair) => pair.taskq[key] / pair.reference[key]),
    medianRatio: (key) => median(results.map((pair) => pair.taskq[key] / pair.reference[key])),
  };
}

module.exports = { compareInRounds };
