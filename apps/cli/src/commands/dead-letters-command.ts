import { inspect } from 'node:util';
import {
  countDeadLetters,
  createApp,
  createConsoleLogger,
  DEFAULT_LIST_LIMIT,
  findDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  TaskqError,
  type DeadLetter,
  type TaskqApp,
} from '@taskq/core';
import { BrokerTransport, type ChannelSource } from '@taskq/core/internal';
import { UsageError } from '../cli-error';
import { loadApp } from '../load-app';
import { tlsOverride, type TlsFlags } from '../tls-flags';

/** Options every `taskq dead-letters` subcommand takes. */
export interface DeadLettersOptions extends TlsFlags {
  /** Broker URL; else the app's, else TASKQ_BROKER_URL. */
  broker?: string;
  /** The dead-letter queue; else the app's `deadLetterQueue`, else taskq.dead. */
  queue?: string;
  /** A tasks module, only to take its broker URL, TLS settings and `deadLetterQueue`. */
  app?: string;
}

type Write = (text: string) => void;
const stdout: Write = (s) => process.stdout.write(s);

/**
 * `taskq dead-letters list|inspect|replay|purge` (alias `dlq`): thin wrappers over the
 * dead-letter functions of @taskq/core. They need a broker URL, nothing else.
 */
export async function runDeadLettersList(options: DeadLettersOptions & { limit?: number }, out: Write = stdout): Promise<number> {
  const limit = options.limit ?? DEFAULT_LIST_LIMIT;
  return withDeadLetterQueue(options, async (source, queue) => {
    const { total, letters } = await listDeadLetters(source, queue, limit);
    if (total === 0) {
      out(`No dead letters in '${queue}'.\n`);
      return 0;
    }
    const rows = letters.map(({ summary: s }) => [s.id, s.task, s.reason, s.originalQueue, s.attempts, s.deadLetteredAt].map(cell));
    out(table(['ID', 'TASK', 'REASON', 'ORIGINAL QUEUE', 'ATTEMPTS', 'DEAD-LETTERED AT'], rows));
    const shown = letters.length < total ? `showing the first ${letters.length}; --limit to see more` : `showing all`;
    out(`${total} dead letter${total === 1 ? '' : 's'} in '${queue}' (${shown}). Details: taskq dead-letters inspect <id>\n`);
    return 0;
  });
}

export async function runDeadLettersInspect(taskId: string, options: DeadLettersOptions, out: Write = stdout): Promise<number> {
  return withDeadLetterQueue(options, async (source, queue, app) => {
    const letters = await findDeadLetters(source, queue, taskId);
    if (letters.length === 0) throw new TaskqError('DEAD_LETTER_NOT_FOUND', `No dead letter for task '${taskId}' in '${queue}'.`);
    out(letters.map((letter) => describeLetter(letter, queue, app)).join('\n'));
    return 0;
  });
}

export async function runDeadLettersReplay(
  taskIds: string[],
  options: DeadLettersOptions & { all?: boolean },
  out: Write = stdout,
  err: Write = (s) => process.stderr.write(s),
): Promise<number> {
  if (taskIds.length === 0 && !options.all) {
    throw new UsageError('Name the task ids to replay (taskq dead-letters replay <id>…), or pass --all.');
  }
  if (taskIds.length > 0 && options.all) throw new UsageError('Pass task ids or --all, not both.');
  return withDeadLetterQueue(options, async (source, queue) => {
    const report = await replayDeadLetters(source, queue, options.all ? undefined : taskIds);
    for (const done of report.replayed)
      out(`Replayed ${done.id ?? '(no id)'}${done.task ? ` (${done.task})` : ''} to queue '${done.queue}'.\n`);
    for (const failed of report.failed) err(`taskq: could not replay ${failed.id ?? '(no id)'}: ${failed.error}\n`);
    for (const id of report.notFound) err(`taskq: no dead letter for task '${id}' in '${queue}'.\n`);
    out(`Replayed ${report.replayed.length} dead letter${report.replayed.length === 1 ? '' : 's'} from '${queue}'.\n`);
    return report.failed.length || report.notFound.length ? 1 : 0;
  });
}

export async function runDeadLettersPurge(options: DeadLettersOptions & { yes?: boolean }, out: Write = stdout): Promise<number> {
  return withDeadLetterQueue(options, async (source, queue) => {
    if (!options.yes) {
      const count = await countDeadLetters(source, queue);
      throw new UsageError(
        `Refusing to purge: this deletes all ${count} dead letter${count === 1 ? '' : 's'} in '${queue}' for good. Run again with --yes.`,
        'CONFIRMATION_REQUIRED',
      );
    }
    const count = await purgeDeadLetters(source, queue);
    out(`Purged ${count} dead letter${count === 1 ? '' : 's'} from '${queue}'.\n`);
    return 0;
  });
}

/** Resolve broker and queue (flags, else the app, else the defaults), connect, run, close. */
async function withDeadLetterQueue(
  options: DeadLettersOptions,
  run: (source: ChannelSource, queue: string, app: TaskqApp) => Promise<number>,
): Promise<number> {
  const logger = createConsoleLogger('warn');
  const app = options.app ? await loadApp(options.app) : createApp({ logger, signing: false });
  app.configure({ logger, ...(options.broker !== undefined ? { brokerUrl: options.broker } : {}), ...tlsOverride(options) });
  const queue = options.queue ?? app.deadLetterQueue;
  const transport = new BrokerTransport(app.transportSettings, { role: 'dead-letters' });
  try {
    return await run(await transport.channels(), queue, app);
  } finally {
    await transport.close();
    await app.close();
  }
}

function describeLetter(letter: DeadLetter, queue: string, app: TaskqApp): string {
  const { summary: s, properties: p, content } = letter;
  const lines = [
    `Dead letter ${cell(s.id)} in '${queue}'`,
    `  task:             ${cell(s.task)}`,
    `  reason:           ${cell(s.reason)}`,
    `  error:            ${cell(s.error)}`,
    `  original queue:   ${cell(s.originalQueue)}`,
    `  attempts:         ${cell(s.attempts)}`,
    `  dead-lettered at: ${cell(s.deadLetteredAt)}`,
    'Properties:',
    ...Object.entries({
      'content-type': p.contentType,
      'content-encoding': p.contentEncoding,
      'correlation-id': p.correlationId,
      'reply-to': p.replyTo,
      priority: p.priority,
      'delivery-mode': p.deliveryMode,
      'message-id': p.messageId,
    })
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `  ${key}: ${String(value)}`),
    'Headers:',
    ...Object.keys(p.headers ?? {})
      .sort()
      .map((key) => `  ${key}: ${show(p.headers![key])}`),
    `Body (${cell(p.contentType)}, ${content.length} bytes):`,
    ...describeBody(content, p.contentType, app),
  ];
  return `${lines.join('\n')}\n`;
}

/** Decode with the app's accept list (never pickle); fall back to a printable preview. */
function describeBody(content: Buffer, contentType: unknown, app: TaskqApp): string[] {
  try {
    const body = app
      .acceptList()
      .check(typeof contentType === 'string' ? contentType : undefined)
      .decode(content);
    if (Array.isArray(body) && body.length === 3) {
      return [`  args:   ${show(body[0])}`, `  kwargs: ${show(body[1])}`, `  embed:  ${show(body[2])}`];
    }
    return [`  ${show(body)}`];
  } catch (err) {
    const preview = content
      .subarray(0, 512)
      .toString('utf8')
      .replace(/[^\x20-\x7e\n]/g, '·');
    return [`  (not decoded: ${(err as Error).message})`, `  ${preview}${content.length > 512 ? '…' : ''}`];
  }
}

function show(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 50, maxStringLength: 500 });
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

function cell(value: unknown): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
