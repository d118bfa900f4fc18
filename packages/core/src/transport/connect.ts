import * as amqp from 'amqplib';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { TaskqError } from '../errors';
import { validateBrokerUrl } from './broker-url';
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

/** How a connection reconnects after it was lost (amqplib's own recovery). */
export interface ReconnectOptions {
  /** First delay before reconnecting, ms. @defaultValue 200 */
  initialDelayMs?: number;
  /** Longest delay between attempts, ms. @defaultValue 5000 */
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
 * Open an AMQP connection that recovers by itself (amqplib 2.x recovery): after a broker restart
 * or a dropped connection it reconnects with backoff, and channel requests wait until it is back.
 * The FIRST connection does not retry, so a wrong URL or a stopped broker fails at once with an
 * error that says what to do. Nagle is off (small frames otherwise stall ~40 ms). The password
 * never appears in messages. A `memory://` URL opens a connection to the in-process broker
 * instead: it provides the part of amqplib's API taskq uses, so everything above runs unchanged.
 */
export async function connectBroker(url: string, options: ConnectOptions): Promise<amqp.RecoveringChannelModel> {
  const parsed = validateBrokerUrl(url);
  if (parsed.protocol === 'memory:') return connectMemoryBroker(parsed) as unknown as amqp.RecoveringChannelModel;
  const reconnect = options.reconnect ?? {};
  const tls = parsed.protocol === 'amqps:' ? tlsSocketOptions(options.tls ?? {}, parsed) : undefined;
  try {
    const connectUrl = options.heartbeat === undefined ? url : withHeartbeat(parsed, options.heartbeat);
    return await amqp.connect(connectUrl, {
      noDelay: true,
      clientProperties: { connection_name: `${options.connectionName} (${hostname()}:${process.pid})` },
      ...tls,
      recovery: {
        initialDelay: reconnect.initialDelayMs ?? 200,
        maxDelay: reconnect.maxDelayMs ?? 5000,
        maxRetries: reconnect.maxRetries ?? Infinity,
        initialMaxRetries: 0,
      },
    });
  } catch (cause) {
    throw await explainConnectError(cause, url, parsed, tls);
  }
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
