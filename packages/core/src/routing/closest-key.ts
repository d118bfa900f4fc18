/**
 * "Did you mean …?" for misspelt config keys: the known key with the smallest edit distance, if
 * it is close enough to be a plausible typo (`maxPriorty`, `max_priority`, `Durable`).
 */

/** Largest edit distance still treated as a typo. */
const MAX_DISTANCE = 2;

/** The known key closest to `key` (ignoring case), or `undefined` if none is within two edits. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = MAX_DISTANCE + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    // Case differences count as one edit in total, so `MaxPriority` still ranks by its real typos.
    const distance = d + (key !== candidate && d === 0 ? 1 : 0);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance (insert, delete, substitute), two-row version. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitute);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
