/**
 * Parsers for option values, given to commander (`.option(flags, description, parser)`) so a bad
 * value is a usage error like an unknown option: the same `taskq: error: option '…' argument
 * 'abc' is invalid. …` line and the same exit code, before anything runs.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number ≥ 1 (`--concurrency 4`). */
export function wholeNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError('Expected a whole number ≥ 1.');
  }
  return value;
}

/** A number of seconds above 0, fractions allowed (`--time-limit 0.5`). */
export function seconds(text: string): number {
  const value = Number(text);
  if (!/^\s*\d*\.?\d+\s*$/.test(text) || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError('Expected a number of seconds above 0 (e.g. 300 or 0.5).');
  }
  return value;
}
