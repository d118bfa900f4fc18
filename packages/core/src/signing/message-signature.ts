import { createHmac, timingSafeEqual } from 'node:crypto';
import { TaskqError } from '../errors';

/** The header that carries a message's signature: `v1=<64 hex digits>`. */
export const SIGNATURE_HEADER = 'x-taskq-signature';

/**
 * The protocol headers covered by the signature, in signing order: what decides which code runs,
 * with which identity, when, and how often. Other headers (`argsrepr`, `origin`, `x-taskq-*`
 * dead-letter notes, …) may change in transit without breaking the signature.
 */
export const SIGNED_HEADERS: readonly string[] = [
  'task',
  'id',
  'eta',
  'expires',
  'retries',
  'timelimit',
  'root_id',
  'parent_id',
  'group',
  'ignore_result',
];

/** The message properties covered too: how the body is decoded, and where its result goes. */
export interface SignedProperties {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  correlationId?: string | undefined;
  replyTo?: string | undefined;
}

const SIGNED_PROPERTIES: ReadonlyArray<[string, keyof SignedProperties]> = [
  ['content_type', 'contentType'],
  ['content_encoding', 'contentEncoding'],
  ['correlation_id', 'correlationId'],
  ['reply_to', 'replyTo'],
];

const VERSION = 'taskq-signature-v1';
const SIGNATURE_PATTERN = /^v1=([0-9a-f]{64})$/;
/** Shorter keys are refused: HMAC is only as strong as its key. */
export const MIN_SIGNING_KEY_BYTES = 16;

/**
 * The bytes that are signed. Every element is a netstring (`<byte length>:<bytes>,`), so no
 * choice of values can make two different messages serialize alike:
 *
 *     ns("taskq-signature-v1")
 *     for each signed header, in SIGNED_HEADERS order:   ns(name) ns(value)
 *     for each signed property (content_type, content_encoding, correlation_id, reply_to): ns(name) ns(value)
 *     ns(body)
 *
 * A value is `-` when absent or null, `s<text>` for a string, `n<decimal>` for a number or
 * bigint, `b1`/`b0` for a boolean, `x<hex>` for bytes, and `j<JSON with sorted keys>` for lists
 * and mappings (e.g. `timelimit`).
 */
export function signingInput(headers: Record<string, unknown>, properties: SignedProperties, body: Buffer): Buffer {
  const parts: Buffer[] = [netstring(VERSION)];
  for (const name of SIGNED_HEADERS) parts.push(netstring(name), netstring(canonicalValue(headers[name])));
  for (const [name, key] of SIGNED_PROPERTIES) parts.push(netstring(name), netstring(canonicalValue(properties[key])));
  parts.push(netstring(body));
  return Buffer.concat(parts);
}

/** Why a message's signature was not accepted. */
export type SignatureProblem = 'missing' | 'malformed' | 'mismatch';

/**
 * HMAC-SHA256 signing with one shared key. The key lives in a private field: it is not
 * enumerable, not printed by `console.log`/`util.inspect`, and never part of an error message.
 */
export class MessageSigner {
  readonly #key: Buffer;

  constructor(
    key: string | Buffer,
    /** Refuse messages without a signature (a wrong signature is always refused). */
    readonly required = true,
  ) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.isBuffer(key) ? Buffer.from(key) : undefined;
    if (!bytes || bytes.length < MIN_SIGNING_KEY_BYTES) {
      throw new TaskqError(
        'INVALID_OPTION',
        `The signing key must be a string or Buffer of at least ${MIN_SIGNING_KEY_BYTES} bytes` +
          `${bytes ? ` (this one has ${bytes.length})` : ''}; generate one with 'openssl rand -hex 32'.`,
      );
    }
    this.#key = bytes;
  }

  /** The signature header value for a message: `v1=<hex>`. */
  sign(headers: Record<string, unknown>, properties: SignedProperties, body: Buffer): string {
    return `v1=${this.digest(headers, properties, body).toString('hex')}`;
  }

  /** Check a received message; undefined when its signature is valid (constant-time comparison). */
  check(headers: Record<string, unknown>, properties: SignedProperties, body: Buffer): SignatureProblem | undefined {
    const value = headers[SIGNATURE_HEADER];
    if (value === undefined || value === null) return 'missing';
    const match = typeof value === 'string' ? SIGNATURE_PATTERN.exec(value) : null;
    if (!match) return 'malformed';
    const expected = this.digest(headers, properties, body);
    return timingSafeEqual(expected, Buffer.from(match[1]!, 'hex')) ? undefined : 'mismatch';
  }

  private digest(headers: Record<string, unknown>, properties: SignedProperties, body: Buffer): Buffer {
    return createHmac('sha256', this.#key)
      .update(signingInput(headers, properties, body))
      .digest();
  }

  toJSON(): string {
    return '[MessageSigner]';
  }
}

/** The `signing` app option. */
export interface SigningOptions {
  /** The shared secret, at least 16 bytes (e.g. `openssl rand -hex 32`). */
  key: string | Buffer;
  /**
   * Refuse unsigned messages (dead-letter them). Set false while migrating, or on queues that
   * also receive Python Celery messages (Celery does not sign). A wrong signature is refused either way.
   * @defaultValue true
   */
  required?: boolean;
}

/** Build the app's signer from its option, else from `TASKQ_SIGNING_KEY`; undefined = no signing. */
export function resolveSigning(
  option: SigningOptions | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): MessageSigner | undefined {
  if (option === false) return undefined;
  if (option !== undefined) {
    if (option === null || typeof option !== 'object') {
      throw new TaskqError(
        'INVALID_OPTION',
        `signing must be { key, required? } or false, found ${option === null ? 'null' : typeof option}.`,
      );
    }
    if (option.required !== undefined && typeof option.required !== 'boolean') {
      throw new TaskqError('INVALID_OPTION', `signing.required must be true or false, found ${typeof option.required}.`);
    }
    return new MessageSigner(option.key, option.required ?? true);
  }
  const fromEnv = env['TASKQ_SIGNING_KEY'];
  return fromEnv ? new MessageSigner(fromEnv, true) : undefined;
}

function netstring(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([Buffer.from(`${bytes.length}:`, 'ascii'), bytes, Buffer.from(',', 'ascii')]);
}

function canonicalValue(value: unknown): string | Buffer {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'string') return `s${value}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `n${String(value)}`;
  if (typeof value === 'boolean') return value ? 'b1' : 'b0';
  if (Buffer.isBuffer(value)) return `x${value.toString('hex')}`;
  return `j${canonicalJson(value)}`;
}

function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString('hex'));
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
