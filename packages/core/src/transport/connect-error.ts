/**
 * Turn a failed first connection into an error that says what to do: the broker is not running,
 * the host is wrong, TLS does not verify, the login or the virtual host was refused. The AMQP
 * refusals are told apart by their reply code, never by the broker's prose.
 */
import type { ConnectionOptions } from 'node:tls';
import { BrokerError, TaskqError } from '../errors';
import { AMQP_REPLY, replyCodeName } from './amqp-reply';
import { brokerUser, brokerVhost, maskBrokerUrl, maskSecrets } from './broker-url';
import { readOpenRefusal, type OpenRefusal } from './read-open-refusal';

/**
 * amqplib's text when the broker closes the connection right after start-ok (the login step):
 * it prints the close frame's fields as `<replyCode> (<NAME>) with message "<replyText>"`.
 */
const LOGIN_CLOSED = /^Handshake terminated by server: (\d{3}) \([^)]*\) with message "(.*)"$/s;
/** amqplib's text when the broker closes the connection instead of answering connection.open. */
const OPEN_CLOSED = /^Expected ConnectionOpenOk; got <ConnectionClose\b/;

/**
 * The {@link TaskqError} for a failed first connection to `url`. `tls` is what the connection
 * used, so a refused `connection.open` can be asked about again (see {@link readOpenRefusal}).
 * The underlying error is not kept as `cause`: library errors can carry the URL with its password.
 */
export async function explainConnectError(cause: unknown, url: string, parsed: URL, tls?: ConnectionOptions): Promise<TaskqError> {
  if (cause instanceof TaskqError) return cause;
  const masked = maskBrokerUrl(url);
  const err = cause as NodeJS.ErrnoException & { message?: string };
  const text = maskSecrets(String(err?.message ?? cause), url).replace(/^Error: /, '');
  const login = LOGIN_CLOSED.exec(text);
  if (login) return loginRefused(masked, parsed, { replyCode: Number(login[1]), replyText: login[2] ?? '' });
  if (OPEN_CLOSED.test(text)) return vhostRefused(masked, parsed, await readOpenRefusal(parsed, tls));
  // amqplib's recovery re-wraps errors that fail its instanceof check (e.g. across jest realms),
  // keeping only the text: read the errno code from the text then.
  const code = err?.code ?? /\b(E[A-Z]{4,}|ERR_TLS_[A-Z_]+|[A-Z_]*CERT[A-Z_]*)\b/.exec(text)?.[1];
  if (code === 'ECONNREFUSED') {
    return new BrokerError(
      'BROKER_UNREACHABLE',
      `Cannot connect to RabbitMQ at ${masked}: connection refused. Is the broker running? ` +
        `Start it with 'rabbitmq-server -detached' (or 'docker compose -f docker/compose.yaml up -d'), ` +
        `or point --broker / TASKQ_BROKER_URL at your broker.`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new BrokerError('BROKER_UNREACHABLE', `Cannot resolve the broker host in ${masked}: check the host name.`);
  }
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new BrokerError('BROKER_UNREACHABLE', `Cannot reach RabbitMQ at ${masked} (${code}): check the host, port and firewall.`);
  }
  if (
    (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME/.test(code)) ||
    /certificate|self[- ]signed|unable to verify|altnames|SSL routines/i.test(text)
  ) {
    return new BrokerError(
      'BROKER_TLS_FAILED',
      `TLS with RabbitMQ at ${masked} failed (${code ? `${code}: ` : ''}${text}). Pass the broker's CA with tls.ca / --tls-ca, ` +
        `and check that the certificate names the host you connect to.`,
    );
  }
  return new BrokerError('BROKER_CONNECT_FAILED', `Cannot connect to RabbitMQ at ${masked}: ${text}`);
}

/** The broker closed the connection at the login step (403 ACCESS_REFUSED for a wrong user or password). */
function loginRefused(masked: string, parsed: URL, refusal: OpenRefusal): BrokerError {
  const user = brokerUser(parsed);
  if (refusal.replyCode === AMQP_REPLY.ACCESS_REFUSED) {
    return new BrokerError(
      'BROKER_AUTH_FAILED',
      `RabbitMQ at ${masked} refused the login of user '${user}' (403 ACCESS_REFUSED): check the user name and password ` +
        `in the broker URL (the 'guest' user may only connect from localhost).`,
    );
  }
  return new BrokerError('BROKER_CONNECT_FAILED', `RabbitMQ at ${masked} closed the connection at login (${describe(refusal)}).`);
}

/**
 * The broker closed the connection instead of opening the virtual host: RabbitMQ answers 530
 * NOT_ALLOWED for a vhost that does not exist and for a user without permissions on it (other
 * brokers may say 403). `refusal` is undefined when the close frame could not be read again.
 */
function vhostRefused(masked: string, parsed: URL, refusal: OpenRefusal | undefined): BrokerError {
  const vhost = brokerVhost(parsed);
  const user = brokerUser(parsed);
  const known = refusal && (refusal.replyCode === AMQP_REPLY.NOT_ALLOWED || refusal.replyCode === AMQP_REPLY.ACCESS_REFUSED);
  if (refusal && !known) {
    return new BrokerError(
      'BROKER_CONNECT_FAILED',
      `RabbitMQ at ${masked} closed the connection when opening virtual host '${vhost}' (${describe(refusal)}).`,
    );
  }
  const arg = shellWord(vhost);
  return new BrokerError(
    'BROKER_VHOST_DENIED',
    `RabbitMQ at ${masked} refused virtual host '${vhost}'${refusal ? ` (${describe(refusal)})` : ''}: it does not exist, ` +
      `or user '${user}' is not permitted on it. Create it with 'rabbitmqctl add_vhost ${arg}' and ` +
      `'rabbitmqctl set_permissions -p ${arg} ${shellWord(user)} ".*" ".*" ".*"', or fix the vhost in the broker URL ` +
      `(the path after host:port; leave it out for the default vhost '/').`,
  );
}

function describe({ replyCode, replyText }: OpenRefusal): string {
  const name = replyCodeName(replyCode);
  // RabbitMQ's texts already start with the name: `NOT_ALLOWED - vhost nope not found`.
  if (name && replyText.startsWith(name)) return `${replyCode} ${replyText}`;
  return `${replyCode}${name ? ` ${name}` : ''}${replyText ? `: ${replyText}` : ''}`;
}

/** `name` as one shell word, quoted only when it needs to be. */
function shellWord(name: string): string {
  return /^[\w./-]+$/.test(name) ? name : `"${name.replace(/(["\\$`])/g, '\\$1')}"`;
}
