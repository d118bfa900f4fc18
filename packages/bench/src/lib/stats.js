'use strict';
/** Small statistics for benchmark figures. */
const rate = (count, ms) => (count * 1000) / ms;
const sorted = (values) => [...values].sort((a, b) => a - b);
const median = (values) => {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
/** The value below which a fraction `q` of the (sorted) values fall. */
const percentile = (sortedValues, q) => sortedValues[Math.min(sortedValues.length - 1, Math.floor(sortedValues.length * q))];
/** Least-squares slope of [x, y] points. */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0,
    sy = 0,
    sxy = 0,
    sxx = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
    sxy += x * y;
    sxx += x * x;
  }
  return (n * sxy - sx * sy) / (n * sxx - sx * sx || 1);
}
module.exports = { rate, median, percentile, slope, sorted };
