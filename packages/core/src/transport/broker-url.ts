import { BrokerError } from '../errors';

/** The broker used when neither options nor TASKQ_BROKER_URL name one. */
export const DEFAULT_BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Hide the password in a broker URL so it can be logged: `amqp://user:****@host/vhost`.
 * Works on strings that are not valid URLs too (best effort on the `user:pass@` part).
 */
export function maskBrokerUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:****@');
}

/** Replace every occurrence of the URL's password in `text` (for error messages from libraries). */
export function maskSecrets(text: string, url: string): string {
  const password = passwordOf(url);
  let masked = text.split(url).join(maskBrokerUrl(url));
  if (password && password.length >= 3) masked = masked.split(password).join('****');
  return masked;
}

function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Check a broker URL before connecting, so a typo gets a clear message instead of a socket error.
 * Accepts `amqp://` and `amqps://` URLs.
 */
export function validateBrokerUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BrokerError(
      'BROKER_URL_INVALID',
      `Invalid broker URL '${maskBrokerUrl(url)}': expected the form amqp://user:password@host:5672/vhost ` +
        `(set it with --broker, TASKQ_BROKER_URL or createApp({ brokerUrl })).`,
    );
  }
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new BrokerError(
      'BROKER_URL_INVALID',
      `Unsupported broker URL scheme '${parsed.protocol}' in '${maskBrokerUrl(url)}': taskq speaks AMQP 0-9-1, ` +
        `use amqp:// (or amqps:// for TLS).`,
    );
  }
  if (!parsed.hostname) {
    throw new BrokerError('BROKER_URL_INVALID', `Broker URL '${maskBrokerUrl(url)}' has no host name.`);
  }
  return parsed;
}
