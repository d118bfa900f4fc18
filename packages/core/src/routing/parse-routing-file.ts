/**
 * Parses the text of one routing file (YAML or JSON) into a {@link RawRoutingDocument}, or a
 * problem carrying the parser's line and column. Pure: the loader does the reading.
 *
 * YAML is parsed with the YAML 1.2 core schema and no custom tags (an unknown `!tag` is a problem,
 * never code), and with an alias limit against "billion laughs" documents.
 */
import { parseAllDocuments } from 'yaml';
import type { ConfigProblem } from '../errors';
import type { RawRoutingDocument } from './validate-routing-config';
import { locateJsonError } from './locate-json-error';

/** File extensions read as routing files. */
export const ROUTING_FILE_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

const MAX_ALIAS_COUNT = 100;

/** Whether a file name ends in `.yaml`, `.yml` or `.json` (any case). */
export function hasRoutingExtension(fileName: string): boolean {
  const lower = fileName.toLowerCase();
  return ROUTING_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Whether a file in a config directory is read: a routing extension, and not hidden (editor files). */
export function isRoutingFileName(fileName: string): boolean {
  return !fileName.startsWith('.') && hasRoutingExtension(fileName);
}

/** Whether a file in a config directory holds the app-wide defaults (`_defaults.yaml|yml|json`). */
export function isDefaultsFileName(fileName: string): boolean {
  return /^_defaults\.(ya?ml|json)$/i.test(fileName);
}

/** Parses `text` read from `file`; JSON for `.json`, YAML otherwise. */
export function parseRoutingFile(
  file: string,
  text: string,
  kind: RawRoutingDocument['kind'],
): { document: RawRoutingDocument } | { problem: ConfigProblem } {
  const parsed = parseConfigText(file, text);
  if ('problem' in parsed) return parsed;
  return { document: { file, kind, data: parsed.data } };
}

/** Parses the text of any taskq config file (routing, schedule): JSON for `.json`, safe YAML otherwise. */
export function parseConfigText(file: string, text: string): { data: unknown } | { problem: ConfigProblem } {
  const parsed = file.toLowerCase().endsWith('.json') ? parseJson(text) : parseYaml(text);
  if ('error' in parsed) return { problem: { file, key: '', message: parsed.error } };
  return { data: parsed.data };
}

function parseJson(text: string): { data: unknown } | { error: string } {
  const json = stripBom(text);
  // An empty file is reported by validation, with the same words as an empty YAML file.
  if (json.trim() === '') return { data: null };
  try {
    return { data: JSON.parse(json) as unknown };
  } catch (err) {
    return { error: `invalid JSON: ${describeJsonError(json, err)}` };
  }
}

function describeJsonError(json: string, err: unknown): string {
  try {
    const at = locateJsonError(json);
    if (at) return `${at.message} at line ${at.line}, column ${at.column}`;
  } catch {
    // Nesting too deep for the scanner: fall back on the parser's own words.
  }
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function parseYaml(text: string): { data: unknown } | { error: string } {
  const docs = parseAllDocuments(text, { schema: 'core', logLevel: 'silent' });
  if (docs.length === 0) return { data: null }; // only comments or whitespace
  const [doc, second] = docs;
  if (second) {
    return { error: `invalid YAML: found ${docs.length} documents (separated by '---'); expected one` };
  }
  const issue = doc?.errors[0] ?? doc?.warnings[0];
  if (issue) {
    // The first line holds the message with "at line L, column C"; the rest is a code excerpt.
    return { error: `invalid YAML: ${issue.message.split('\n')[0] ?? issue.message}` };
  }
  try {
    return { data: doc?.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown };
  } catch (err) {
    return { error: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
