'use strict';
/** Collects benchmark rows, prints progress, and renders the table, the chart and docs/BENCHMARKS.md. */
const rows = [];

const progress = (...parts) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

/**
 * One result row. `reference` is raw amqplib (or Celery) doing the same work in the same run;
 * `ratio` is taskq ÷ reference (for rates: > 1 = taskq faster), `spread` the per-round ratios.
 */
function record({ scenario, metric, taskq, reference, unit, target = '', note = '', ratio, spread, met, chart = true }) {
  const row = {
    scenario,
    metric,
    taskq,
    reference,
    unit,
    target,
    note,
    chart,
    ratio: ratio ?? (typeof reference === 'number' && typeof taskq === 'number' ? taskq / reference : undefined),
    spread,
    met,
  };
  rows.push(row);
  const ref = reference === undefined ? '' : `, reference ${fmt(reference)}`;
  const ratioText =
    row.ratio === undefined ? '' : ` → ${row.ratio.toFixed(2)}×${spread ? ` (rounds ${spread.map((r) => r.toFixed(2)).join(', ')})` : ''}`;
  progress(
    `  ${scenario} / ${metric}: taskq ${fmt(taskq)} ${unit}${ref}${ratioText}${met === undefined ? '' : met ? ' [target met]' : ' [target NOT met]'}`,
  );
  return row;
}

function fmt(value) {
  if (typeof value !== 'number') return String(value ?? '—');
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en');
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function table() {
  const lines = rows.map((r) => {
    const ratio =
      r.ratio === undefined || !Number.isFinite(r.ratio)
        ? '—'
        : `${r.ratio.toFixed(2)}×${r.spread ? ` (${r.spread.map((x) => x.toFixed(2)).join(' / ')})` : ''}`;
    const verdict = r.met === undefined ? '' : r.met ? '✓' : '✗';
    return `| ${r.scenario} | ${r.metric} | ${fmt(r.taskq)} | ${r.reference === undefined ? '—' : fmt(r.reference)} | ${ratio} | ${r.unit} | ${r.target} ${verdict} | ${r.note} |`;
  });
  return [
    '| Scenario | Metric | taskq | Reference (raw amqplib / Celery) | Ratio (per round) | Unit | Target | Notes |',
    '|---|---|---:|---:|---:|---|---|---|',
    ...lines,
  ].join('\n');
}

/** A horizontal bar per ratio row; the dashed line is parity. */
function svg() {
  const bars = rows.filter((r) => r.ratio !== undefined && Number.isFinite(r.ratio) && r.chart !== false);
  const width = 860;
  const rowHeight = 26;
  const left = 430;
  const height = 50 + bars.length * rowHeight;
  const scale = (width - left - 70) / Math.max(4.5, ...bars.map((r) => r.ratio));
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  let out = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">\n`;
  out += `<rect width="100%" height="100%" fill="#fff"/>\n<text x="10" y="20" font-size="14" font-weight="bold">taskq ÷ reference, same run (1.0 = parity; higher is better for taskq)</text>\n`;
  bars.forEach((r, i) => {
    const y = 34 + i * rowHeight;
    const w = Math.max(1, r.ratio * scale);
    const colour = r.met === false ? '#d64' : '#3a7';
    out += `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(chartLabel(`${r.scenario} — ${r.metric}`))}</text>\n`;
    out += `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${colour}"/>\n`;
    out += `<text x="${(left + w + 4).toFixed(1)}" y="${y + 14}">${r.ratio.toFixed(2)}×</text>\n`;
  });
  out += `<line x1="${left + scale}" y1="28" x2="${left + scale}" y2="${height - 6}" stroke="#000" stroke-dasharray="3,3"/>\n</svg>\n`;
  return out;
}

/** Labels end at the bars: longer ones are cut (the table has them in full). */
function chartLabel(text, max = 62) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

module.exports = { rows, progress, record, fmt, table, svg };
