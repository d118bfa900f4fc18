import * as amqp from 'amqplib';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type { EventEmitter } from 'node:events';
import { BrokerError, type BrokerErrorCode, TaskqError } from '../errors';
import type { ChannelSource } from './channel-source';
import { FailoverConnection } from './failover-connection';
import { validateBrokerUrls } from './broker-url';
import { explainConnectError } from './connect-error';
import { connectMemoryBroker } from './memory/memory-url';

/** TLS settings for `amqps://` brokers. Certificate verification is on unless you turn it off. */
export interface TlsOptions {
  /** CA certificate(s) to trust: PEM text, a Buffer, or a file path. @defaultValue Node's bundled CAs */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Client certificate (PEM text, Buffer or file path), for brokers that require one. */
  cert?: string | Buffer;
  /** Client private key (PEM text, Buffer or file path). */
  key?: string | Buffer;
  /** Passphrase of the client key. */
  passphrase?: string;
  /** Host name to verify the broker's certificate against. @defaultValue the URL's host */
  servername?: string;
  /** Verify the broker's certificate. Turn off only for local experiments. @defaultValue true */
  rejectUnauthorized?: boolean;
}

/** How a connection reconnects after it was lost (see {@link FailoverConnection}). */
export interface ReconnectOptions {
  /** First delay before reconnecting, and between the nodes of a URL list, ms. @defaultValue 200 */
  initialDelayMs?: number;
  /** Longest delay between attempts (it doubles after each pass of the URL list), ms. @defaultValue 5000 */
  maxDelayMs?: number;
  /** Attempts before giving up once connected. @defaultValue Infinity */
  maxRetries?: number;
}

/** Options for one AMQP connection. */
export interface ConnectOptions {
  /** Shown in the RabbitMQ management UI, e.g. `taskq worker`. */
  connectionName: string;
  /** Heartbeat interval in seconds; the broker's suggestion when omitted. */
  heartbeat?: number;
  tls?: TlsOptions;
  reconnect?: ReconnectOptions;
}

/**
 * What {@link connectBroker} gives back: channels, close, and the recovery events of
 * {@link FailoverConnection} ('connect', 'disconnect', 'error', 'reconnect-failed'; a memory://
 * connection never emits them).
 */
export interface BrokerConnection extends ChannelSource, EventEmitter {
  close(): Promise<void>;
  /** The live AMQP connection (a memory:// connection has none). */
  readonly current?: amqp.ChannelModel | undefined;
  /** The URL of the node connected to (a memory:// connection has none). */
  readonly url?: string;
}

/** How long opening one AMQP connection (TCP, TLS and the AMQP handshake) may take, ms. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Open a connection that recovers by itself (see {@link FailoverConnection}): after a broker restart
 * or a dropped connection it reconnects with backoff — to the next URL of the list when `url` lists
 * several (a cluster's nodes: `amqp://n1,amqp://n2,…` or an array joined by commas) — and channel
 * requests wait until it is back. The FIRST connection tries each URL once and does not retry, so a
 * wrong URL or a stopped broker fails at once with an error that says what to do. Nagle is off
 * (small frames otherwise stall ~40 ms). The password never appears in messages. A `memory://` URL
 * opens a connection to the in-process broker instead: it provides the part of amqplib's API taskq
 * uses, so everything above runs unchanged.
 */
export async function connectBroker(url: string, options: ConnectOptions): Promise<BrokerConnection> {
  const nodes = validateBrokerUrls(url);
  if (nodes[0]!.parsed.protocol === 'memory:') return connectMemoryBroker(nodes[0]!.parsed) as unknown as BrokerConnection;
  const reconnect = options.reconnect ?? {};
  const clientProperties = { connection_name: `${options.connectionName} (${hostname()}:${process.pid})` };
  const targets = nodes.map(({ url: nodeUrl, parsed }) => {
    const tls = parsed.protocol === 'amqps:' ? tlsSocketOptions(options.tls ?? {}, parsed) : undefined;
    const connectUrl = options.heartbeat === undefined ? nodeUrl : withHeartbeat(parsed, options.heartbeat);
    const open = (): Promise<amqp.ChannelModel> =>
      amqp.connect(connectUrl, { noDelay: true, timeout: CONNECT_TIMEOUT_MS, clientProperties, ...tls });
    return { url: nodeUrl, parsed, tls, open };
  });
  return FailoverConnection.open(
    targets,
    {
      initialDelayMs: reconnect.initialDelayMs ?? 200,
      maxDelayMs: reconnect.maxDelayMs ?? 5000,
      maxRetries: reconnect.maxRetries ?? Infinity,
    },
    (errors) => explainFailedNodes(errors, targets),
  );
}

/** One node: its own explanation; several: each node's, under one code when they agree. */
async function explainFailedNodes(
  errors: unknown[],
  targets: ReadonlyArray<{ url: string; parsed: URL; tls: ConnectionOptions | undefined }>,
): Promise<TaskqError> {
  const explained = await Promise.all(
    errors.map((err, i) => explainConnectError(err, targets[i]!.url, targets[i]!.parsed, targets[i]!.tls)),
  );
  if (explained.length === 1) return explained[0]!;
  const codes = new Set(explained.map((error) => error.code));
  const code = codes.size === 1 ? explained[0]!.code : 'BROKER_UNREACHABLE';
  return new BrokerError(
    code as BrokerErrorCode,
    `None of the ${explained.length} brokers in the list accepted a connection:\n${explained.map((error) => `  - ${error.message}`).join('\n')}`,
  );
}

function tlsSocketOptions(tls: TlsOptions, parsed: URL): ConnectionOptions {
  const ca = tls.ca === undefined ? undefined : (Array.isArray(tls.ca) ? tls.ca : [tls.ca]).map((c) => readPem(c, 'ca'));
  return {
    ...(ca ? { ca } : {}),
    ...(tls.cert !== undefined ? { cert: readPem(tls.cert, 'cert') } : {}),
    ...(tls.key !== undefined ? { key: readPem(tls.key, 'key') } : {}),
    ...(tls.passphrase !== undefined ? { passphrase: tls.passphrase } : {}),
    servername: tls.servername ?? parsed.hostname,
    rejectUnauthorized: tls.rejectUnauthorized ?? true,
  };
}

/** PEM text and Buffers are used as they are; anything else is a file path. */
function readPem(value: string | Buffer, what: string): string | Buffer {
  if (Buffer.isBuffer(value) || value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value);
  } catch (cause) {
    throw new TaskqError('TLS_FILE_UNREADABLE', `Cannot read the TLS ${what} file '${value}': ${(cause as Error).message}.`, { cause });
  }
}

function withHeartbeat(parsed: URL, heartbeat: number): string {
  const copy = new URL(parsed.toString());
  copy.searchParams.set('heartbeat', String(heartbeat));
  return copy.toString();
}
