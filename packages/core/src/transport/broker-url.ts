import { BrokerError } from '../errors';

/** The broker used when neither options nor TASKQ_BROKER_URL name one. */
export const DEFAULT_BROKER_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Hide the password in a broker (or Redis) URL so it can be logged: `amqp://user:****@host/vhost`,
 * `redis://:****@host:6379/0`. The user name stays visible: it helps to see who logged in, and is
 * not a secret. Works on strings that are not valid URLs too (best effort on the `user:pass@` part),
 * and on comma-separated lists of URLs (every password is hidden).
 * This is the one masking rule: {@link maskSecrets} applies it to every URL inside a text.
 */
export function maskBrokerUrl(url: string): string {
  // Every URL of a list too (`amqp://a:p1@h1,amqp://b:p2@h2`): each starts the text or follows a comma or space.
  return url.replace(/(^|[\s,;])([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s,]*):[^@/?#\s]*@/gi, '$1$2:****@');
}

/** URL-looking runs in free text (library error messages quote URLs in several forms). */
const URLS_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()]*/gi;

/**
 * Mask secrets in a message from a library: every URL in `text` as {@link maskBrokerUrl} does,
 * and the URL's password wherever else it appears. URLs are masked as a whole, so a user name
 * that equals the password (`guest:guest`) stays readable: `amqp://guest:****@host`, `user 'guest'`
 * — that password is no secret once the user name is shown, and hiding it would hide the user.
 */
export function maskSecrets(text: string, url: string): string {
  const password = passwordOf(url);
  const secret = password !== undefined && password.length >= 3 && password !== userOf(url);
  const hide = (part: string): string => (secret ? part.split(password).join('****') : part);
  let masked = '';
  let last = 0;
  for (const match of text.matchAll(URLS_IN_TEXT)) {
    masked += hide(text.slice(last, match.index)) + maskBrokerUrl(match[0]);
    last = match.index + match[0].length;
  }
  return masked + hide(text.slice(last));
}

/** The user name the broker URL logs in with, decoded; `guest` when the URL names none (as amqplib). */
export function brokerUser(parsed: URL): string {
  if (parsed.username === '' && parsed.password === '') return 'guest';
  return decodeComponent(parsed.username);
}

/** The password the broker URL logs in with, decoded; `guest` when the URL names no user (as amqplib). */
export function brokerPassword(parsed: URL): string {
  if (parsed.username === '' && parsed.password === '') return 'guest';
  return decodeComponent(parsed.password);
}

/** The virtual host the broker URL opens, decoded (`/my%2Fvhost` is `my/vhost`); `/` when the path is empty. */
export function brokerVhost(parsed: URL): string {
  const path = parsed.pathname.slice(1);
  return path === '' ? '/' : decodeComponent(path);
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function userOf(url: string): string | undefined {
  try {
    return decodeComponent(new URL(url).username);
  } catch {
    return undefined;
  }
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
 * The broker URLs of a setting: an array, or one text with the URLs separated by commas (as
 * `--broker` and `TASKQ_BROKER_URL` take them). Blanks around each are ignored; empty entries are an
 * error (a stray comma would otherwise hide a missing node).
 */
export function splitBrokerUrls(value: string | readonly string[]): string[] {
  const urls = (typeof value === 'string' ? value.split(',') : [...value]).map((url) => url.trim());
  if (urls.length === 0 || urls.some((url) => url === '')) {
    throw new BrokerError(
      'BROKER_URL_INVALID',
      `The broker URL list '${maskBrokerUrl(typeof value === 'string' ? value : value.join(','))}' has an empty entry: ` +
        `give one URL, or several separated by commas (amqp://user:password@node1:5672,amqp://user:password@node2:5672).`,
    );
  }
  return urls;
}

/**
 * Check every URL of a broker setting (see {@link splitBrokerUrls}) and give them back in order.
 * A `memory://` broker lives in this process, so it cannot have failover partners.
 */
export function validateBrokerUrls(value: string | readonly string[]): Array<{ url: string; parsed: URL }> {
  const targets = splitBrokerUrls(value).map((url) => ({ url, parsed: validateBrokerUrl(url) }));
  if (targets.length > 1 && targets.some((target) => target.parsed.protocol === 'memory:')) {
    throw new BrokerError(
      'BROKER_URL_INVALID',
      `A memory:// broker cannot be part of a list of broker URLs ('${maskBrokerUrl(targets.map((t) => t.url).join(','))}'): ` +
        `it lives in this process. Use it alone, or list only amqp:// and amqps:// URLs.`,
    );
  }
  return targets;
}

/**
 * Check a broker URL before connecting, so a typo gets a clear message instead of a socket error.
 * Accepts `amqp://` and `amqps://` URLs, and `memory://[name]` (the in-process broker for tests).
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
  if (parsed.protocol === 'memory:') return parsed;
  if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
    throw new BrokerError(
      'BROKER_URL_INVALID',
      `Unsupported broker URL scheme '${parsed.protocol}' in '${maskBrokerUrl(url)}': taskq speaks AMQP 0-9-1, ` +
        `use amqp:// (or amqps:// for TLS, memory:// for an in-process broker in tests).`,
    );
  }
  if (!parsed.hostname) {
    throw new BrokerError('BROKER_URL_INVALID', `Broker URL '${maskBrokerUrl(url)}' has no host name.`);
  }
  return parsed;
}
