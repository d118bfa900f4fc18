/**
 * "Did you mean …?" for names a person typed (a queue on the command line): the known names that
 * differ only in separators and case (`nc_q` for `nc-q`, `Emails` for `emails`), or by a small
 * number of typos for the name's length.
 */

/** At most this many suggestions; more would not help anyone pick. */
const MAX_SUGGESTIONS = 3;

/**
 * The names in `known` close to `name`, closest first: equal once separators (`-`, `_`, `.`) and
 * case are ignored, or within an edit distance that grows with the length (none up to 3
 * characters, one up to 7, two from 8). Edits are insertions, deletions, substitutions and swaps
 * of adjacent characters. `name` itself is never suggested.
 */
export function similarNames(name: string, known: Iterable<string>): string[] {
  const target = normalise(name);
  const matches: Array<{ candidate: string; distance: number }> = [];
  for (const candidate of new Set(known)) {
    if (candidate === name) continue;
    const other = normalise(candidate);
    const distance = optimalStringAlignment(target, other);
    if (distance <= allowedEdits(Math.max(target.length, other.length))) matches.push({ candidate, distance });
  }
  // Ties in code-point order, the same in every locale.
  matches.sort((a, b) => a.distance - b.distance || (a.candidate < b.candidate ? -1 : a.candidate > b.candidate ? 1 : 0));
  return matches.slice(0, MAX_SUGGESTIONS).map((match) => match.candidate);
}

/** Typos tolerated in a name of `length` characters: a short name with one typo is another name. */
function allowedEdits(length: number): number {
  return Math.min(2, Math.floor(length / 4));
}

/** Lower case, with every run of separators as one `-`: `Reports__Daily` is `reports-daily`. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]+/g, '-');
}

/**
 * Damerau–Levenshtein distance in its optimal-string-alignment form: insert, delete, substitute,
 * or swap two adjacent characters (`hihg` is one edit from `high`), no substring edited twice.
 */
export function optimalStringAlignment(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}
