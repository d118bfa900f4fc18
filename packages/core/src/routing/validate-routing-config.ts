/**
 * The routing config pipeline, Rascal-style: defaults → normalise → validate, over already-parsed
 * documents. Pure (no I/O), so `loadRoutingConfig` and tests feed it the same way. Every problem
 * in every document is collected, then reported in one {@link ConfigError}.
 */
import { basename } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors';
import { DEFAULT_ROUTING_DEFAULTS, type ExchangeDeclaration, type RoutingConfig, type RoutingDefaults } from './route-config';
import { FieldReader, describeValue, has, isMapping, joinKey } from './field-reader';
import { readRoutingDefaults } from './validate-routing-defaults';
import { readQueueRoute, type QueueDraft } from './read-queue-route';
import { findRoutingConflicts } from './find-routing-conflicts';

/** One parsed routing file. */
export interface RawRoutingDocument {
  /** The file's path (or a label); named in every problem and in each route's `source`. */
  file: string;
  /**
   * `queue`: one queue's settings (a file in a config directory);
   * `defaults`: app-wide defaults (`_defaults.*`);
   * `combined`: `{ defaults?, queues: { name: settings } }` (a single config file).
   */
  kind: 'queue' | 'defaults' | 'combined';
  /** The parsed YAML/JSON; `null`/`undefined` for an empty file. */
  data: unknown;
}

/** The result of validation: the config built so far and every problem found. */
export interface RoutingConfigCheck {
  /** Complete only when `problems` is empty; otherwise a best effort. */
  config: RoutingConfig;
  problems: ConfigProblem[];
}

const COMBINED_KEYS = ['defaults', 'queues'];

/**
 * Validates parsed routing documents and builds the routing config.
 * @throws ConfigError listing every problem in every document
 */
export function validateRoutingConfig(documents: readonly RawRoutingDocument[]): RoutingConfig {
  const { config, problems } = checkRoutingConfig(documents);
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Like {@link validateRoutingConfig}, but returns the problems instead of throwing. */
export function checkRoutingConfig(documents: readonly RawRoutingDocument[]): RoutingConfigCheck {
  const problems: ConfigProblem[] = [];
  // Readers only label problems with their file; all of them collect into the one list.
  const reader = (doc: RawRoutingDocument): FieldReader => new FieldReader(doc.file, problems);

  // Defaults first: every queue falls back on them, wherever its file sorts.
  const defaults = readDefaults(documents, reader);

  const drafts: QueueDraft[] = [];
  for (const doc of documents) {
    if (doc.kind === 'queue') {
      drafts.push(...readQueueFile(reader(doc), doc.data, defaults));
    } else if (doc.kind === 'combined') {
      drafts.push(...readCombinedQueues(reader(doc), doc.data, defaults));
    }
  }
  problems.push(...findRoutingConflicts(drafts));

  return {
    config: {
      defaults,
      queues: shareExchanges(drafts.map((d) => d.route)),
      sources: [...new Set(documents.map((d) => d.file))],
    },
    problems,
  };
}

function readDefaults(documents: readonly RawRoutingDocument[], reader: (doc: RawRoutingDocument) => FieldReader): RoutingDefaults {
  let defaults: RoutingDefaults = { ...DEFAULT_ROUTING_DEFAULTS };
  let definedIn: string | undefined;
  for (const doc of documents) {
    let raw: unknown;
    let prefix = '';
    if (doc.kind === 'defaults') {
      raw = mappingOrEmptyProblem(reader(doc), doc.data, 'default settings');
      if (!raw) continue;
    } else if (doc.kind === 'combined' && isMapping(doc.data) && has(doc.data, 'defaults')) {
      // `defaults:` with nothing under it is an empty section, not a mistake.
      raw = doc.data.defaults ?? {};
      prefix = 'defaults';
    } else {
      continue;
    }
    if (definedIn !== undefined) {
      reader(doc).report(prefix, `app-wide defaults are already set in ${definedIn}; keep them in one place`);
      continue;
    }
    definedIn = doc.file;
    defaults = readRoutingDefaults(reader(doc), raw, prefix, DEFAULT_ROUTING_DEFAULTS);
  }
  return defaults;
}

function readQueueFile(reader: FieldReader, data: unknown, defaults: RoutingDefaults): QueueDraft[] {
  const raw = mappingOrEmptyProblem(reader, data, 'queue settings');
  if (!raw) return [];
  const defaultName = queueNameOf(reader.file);
  return [readQueueRoute({ reader, prefix: '', defaultName, nameMustMatch: false, defaults }, raw)];
}

function readCombinedQueues(reader: FieldReader, data: unknown, defaults: RoutingDefaults): QueueDraft[] {
  const top = mappingOrEmptyProblem(reader, data, `'queues' (and optionally 'defaults')`);
  if (!top) return [];
  reader.allowKeys(top, '', COMBINED_KEYS);
  if (!has(top, 'queues')) {
    reader.report(
      'queues',
      `missing: expected a mapping of queue name to queue settings ` +
        `(to keep one queue per file, pass the directory that holds them instead)`,
    );
    return [];
  }
  const queues = reader.mapping(top.queues ?? {}, 'queues', 'a mapping of queue name to queue settings');
  if (!queues) return [];
  const drafts: QueueDraft[] = [];
  for (const [name, settings] of Object.entries(queues)) {
    const prefix = joinKey('queues', name);
    // `low:` with nothing under it declares a queue with all defaults.
    const raw = reader.mapping(settings ?? {}, prefix, 'a mapping of queue settings');
    if (raw) drafts.push(readQueueRoute({ reader, prefix, defaultName: name, nameMustMatch: true, defaults }, raw));
  }
  return drafts;
}

/** The document as a mapping, or a problem for an empty file or a non-mapping top level. */
function mappingOrEmptyProblem(reader: FieldReader, data: unknown, what: string): Record<string, unknown> | undefined {
  if (data === null || data === undefined) {
    reader.report('', `file is empty; expected a mapping with ${what}`);
    return undefined;
  }
  if (isMapping(data)) return data;
  reader.report('', `expected a mapping with ${what} at the top level, found ${describeValue(data)}`);
  return undefined;
}

/** A queue file's default queue name: its base name without the extension. */
function queueNameOf(file: string): string {
  return basename(file).replace(/\.(ya?ml|json)$/i, '');
}

/** Queues bound to the same exchange share one declaration object, so the exchange is declared once. */
function shareExchanges<T extends { queue: { exchange: ExchangeDeclaration | undefined } }>(routes: T[]): T[] {
  const seen = new Map<string, ExchangeDeclaration>();
  for (const route of routes) {
    const exchange = route.queue.exchange;
    if (!exchange) continue;
    const first = seen.get(exchange.name);
    if (!first) seen.set(exchange.name, exchange);
    else if (first.type === exchange.type && first.durable === exchange.durable) route.queue.exchange = first;
  }
  return routes;
}
