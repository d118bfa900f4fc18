/**
 * Conversions between JS `Date` and the ISO 8601 text Python's `datetime.isoformat()` writes and
 * `datetime.fromisoformat()` reads (what kombu puts in its `datetime` JSON tag).
 */

// YYYY-MM-DD, optionally followed by [T or space]HH[:MM[:SS[.fraction]]] and an offset.
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2}(?:\.\d{1,6})?)?)?)?)?$/;
const OFFSET = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?(?:\.(\d{1,6}))?$/;

/**
 * Parses Python isoformat text into a `Date`. A value without an offset ("naive") is read as UTC,
 * which is what Celery means by naive datetimes with `enable_utc` (its default). Fractions beyond
 * milliseconds are truncated (`.123456` → 123 ms) because `Date` cannot hold them.
 * @returns `undefined` when the text is not a valid date-time.
 */
export function parsePythonDatetime(text: string): Date | undefined {
  const match = ISO_DATETIME.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetMs = offset === undefined || offset === 'Z' ? 0 : parseOffset(offset);
  if (offsetMs === undefined) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, '0').slice(0, 3)));
  return new Date(date.getTime() - offsetMs);
}

function parseOffset(text: string): number | undefined {
  const match = OFFSET.exec(text);
  if (!match) return undefined;
  const [, sign, h = '0', m = '0', s = '0', micro = ''] = match;
  const hours = Number(h);
  const minutes = Number(m);
  const seconds = Number(s);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const ms = ((hours * 60 + minutes) * 60 + seconds) * 1000 + Math.trunc(Number(micro.padEnd(6, '0')) / 1000);
  return sign === '-' ? -ms : ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Formats a `Date` the way Python's `datetime.isoformat()` formats an aware UTC datetime:
 * `2024-05-01T12:30:00.123000+00:00` (six fraction digits, omitted when zero). `+00:00` rather
 * than `Z` because `fromisoformat()` before Python 3.11 rejects `Z`.
 * @returns `undefined` for years outside Python's 1–9999.
 */
export function formatPythonDatetime(date: Date): string | undefined {
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) return undefined;
  const ms = date.getUTCMilliseconds();
  return (
    `${pad(year, 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    (ms === 0 ? '' : `.${pad(ms, 3)}000`) +
    '+00:00'
  );
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
