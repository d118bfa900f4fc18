import * as amqp from 'amqplib';
import { hostname } from 'node:os';
import { BrokerError } from '../errors';
import { maskBrokerUrl, maskSecrets, validateBrokerUrl } from './broker-url';

/** Options for one AMQP connection. */
export interface ConnectOptions {
  /** Shown in the RabbitMQ management UI, e.g. `taskq worker`. */
  connectionName: string;
  /** Heartbeat interval in seconds; the broker's suggestion when omitted. */
  heartbeat?: number;
}

/**
 * Open an AMQP connection with Nagle disabled (small frames otherwise stall ~40 ms) and turn
 * connection failures into errors that say what to do. The password never appears in messages.
 */
export async function connectBroker(url: string, options: ConnectOptions): Promise<amqp.ChannelModel> {
  const parsed = validateBrokerUrl(url);
  const masked = maskBrokerUrl(url);
  try {
    const connectUrl = options.heartbeat === undefined ? url : withHeartbeat(parsed, options.heartbeat);
    return await amqp.connect(connectUrl, {
      noDelay: true,
      clientProperties: { connection_name: `${options.connectionName} (${hostname()}:${process.pid})` },
    });
  } catch (cause) {
    throw explainConnectError(cause, url, masked);
  }
}

function withHeartbeat(parsed: URL, heartbeat: number): string {
  const copy = new URL(parsed.toString());
  copy.searchParams.set('heartbeat', String(heartbeat));
  return copy.toString();
}

function explainConnectError(cause: unknown, url: string, masked: string): BrokerError {
  const err = cause as NodeJS.ErrnoException & { message?: string };
  const text = maskSecrets(String(err?.message ?? cause), url);
  const code = err?.code;
  if (code === 'ECONNREFUSED') {
    return new BrokerError(
      'BROKER_UNREACHABLE',
      `Cannot connect to RabbitMQ at ${masked}: connection refused. Is the broker running? ` +
        `Start it with 'rabbitmq-server -detached' (or 'docker compose -f docker/compose.yaml up -d'), ` +
        `or point --broker / TASKQ_BROKER_URL at your broker.`,
      { cause },
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new BrokerError('BROKER_UNREACHABLE', `Cannot resolve the broker host in ${masked}: check the host name.`, { cause });
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new BrokerError('BROKER_UNREACHABLE', `Cannot reach RabbitMQ at ${masked} (${code}): check the host, port and firewall.`, { cause });
  }
  if (/ACCESS_REFUSED|403/.test(text)) {
    return new BrokerError(
      'BROKER_AUTH_FAILED',
      `RabbitMQ at ${masked} refused the login: check the user name and password in the broker URL ` +
        `(the 'guest' user may only connect from localhost).`,
      { cause },
    );
  }
  if (/NOT_ALLOWED|530|vhost/i.test(text)) {
    return new BrokerError(
      'BROKER_VHOST_DENIED',
      `RabbitMQ at ${masked} refused access to the virtual host: check the vhost in the URL and the user's permissions.`,
      { cause },
    );
  }
  return new BrokerError('BROKER_CONNECT_FAILED', `Cannot connect to RabbitMQ at ${masked}: ${text}`, { cause });
}
