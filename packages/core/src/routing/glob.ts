/**
 * Task-name patterns with Python `fnmatch` semantics, so a routing file means the same thing to
 * taskq as Celery's glob routes do: `*` matches any run of characters (dots included), `?` exactly
 * one character, `[seq]` / `[!seq]` a character class; everything else is literal. As in fnmatch,
 * a `[` without a closing `]` is a literal `[`, and matching is case-sensitive.
 */

/** A compiled task-name pattern. */
export interface TaskPattern {
  /** The pattern as written. */
  pattern: string;
  /** `false` for plain task names, which match only themselves. */
  isGlob: boolean;
  /** Whether `name` matches the pattern. */
  matches(name: string): boolean;
  /** Number of literal characters; more specific patterns win over less specific ones. */
  specificity: number;
}

type Token = { kind: 'literal'; char: string } | { kind: 'wildcard'; regex: string };

/** Compiles a task name or glob into a matcher. */
export function compileTaskPattern(pattern: string): TaskPattern {
  const tokens = tokenize(pattern);
  const specificity = tokens.filter((t) => t.kind === 'literal').length;
  const isGlob = tokens.some((t) => t.kind === 'wildcard');
  if (!isGlob) return { pattern, isGlob, specificity, matches: (name) => name === pattern };

  const source = tokens.map((t) => (t.kind === 'literal' ? escapeRegex(t.char) : t.regex)).join('');
  // `s`: `*` and `?` match newlines too (fnmatch uses (?s)); `u`: `?` is one code point, not half of one.
  const regex = new RegExp(`^(?:${source})$`, 'su');
  return { pattern, isGlob, specificity, matches: (name) => regex.test(name) };
}

function tokenize(pattern: string): Token[] {
  const chars = Array.from(pattern); // code points, like Python's str
  const tokens: Token[] = [];
  let i = 0;
  while (i < chars.length) {
    const c = chars[i] as string;
    i++;
    if (c === '*') {
      // Consecutive stars mean the same as one; keep the regex small.
      const last = tokens.at(-1);
      if (!(last?.kind === 'wildcard' && last.regex === '.*')) tokens.push({ kind: 'wildcard', regex: '.*' });
    } else if (c === '?') {
      tokens.push({ kind: 'wildcard', regex: '.' });
    } else if (c === '[') {
      const cls = readClass(chars, i);
      if (cls) {
        tokens.push({ kind: 'wildcard', regex: cls.regex });
        i = cls.end;
      } else {
        tokens.push({ kind: 'literal', char: c });
      }
    } else {
      tokens.push({ kind: 'literal', char: c });
    }
  }
  return tokens;
}

/** Reads a `[...]` class starting after the `[`; `undefined` when it is not closed (then `[` is literal). */
function readClass(chars: string[], start: number): { regex: string; end: number } | undefined {
  let j = start;
  const negated = chars[j] === '!';
  if (negated) j++;
  const bodyStart = j;
  if (chars[j] === ']') j++; // a `]` first in the class is a member, not the end
  while (j < chars.length && chars[j] !== ']') j++;
  if (j >= chars.length) return undefined;

  const body = chars.slice(bodyStart, j);
  const members: string[] = [];
  for (let k = 0; k < body.length; k++) {
    const lo = body[k] as string;
    const hi = body[k + 2];
    if (body[k + 1] === '-' && hi !== undefined) {
      // fnmatch drops reversed ranges such as `z-a` instead of failing.
      if (lo <= hi) members.push(`${escapeClassChar(lo)}-${escapeClassChar(hi)}`);
      k += 2;
    } else {
      members.push(escapeClassChar(lo));
    }
  }
  const end = j + 1;
  // An empty class never matches; a negated empty class matches any one character (as in fnmatch).
  if (members.length === 0) return { regex: negated ? '.' : '(?!)', end };
  return { regex: `[${negated ? '^' : ''}${members.join('')}]`, end };
}

function escapeRegex(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}

function escapeClassChar(char: string): string {
  return /[\\\][^-]/.test(char) ? `\\${char}` : char;
}
