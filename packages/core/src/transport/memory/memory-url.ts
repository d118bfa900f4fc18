import { MemoryBroker } from './memory-broker';
import { MemoryConnection } from './memory-connection';

/**
 * `memory://` broker URLs: `memory://` or `memory://<name>`. One broker per name per process, so
 * a producer app and a worker app given the same URL talk to each other, and tests that need
 * separate brokers use separate names.
 */

/** True for a `memory://` URL. */
export function isMemoryBrokerUrl(url: string): boolean {
  return /^memory:/i.test(url.trim());
}

/** The broker's name in a parsed `memory://` URL; `default` when it names none. */
export function memoryBrokerName(parsed: URL): string {
  const name = decodeURIComponent(parsed.hostname);
  return name === '' ? 'default' : name;
}

/** Kept on globalThis so two copies of this module (e.g. a bundled and a linked @taskq/core) share brokers. */
const REGISTRY: unique symbol = Symbol.for('taskq.memoryBrokers');

function registry(): Map<string, MemoryBroker> {
  const holder = globalThis as { [REGISTRY]?: Map<string, MemoryBroker> };
  holder[REGISTRY] ??= new Map();
  return holder[REGISTRY];
}

/** The broker a `memory://` URL names, created on first use. */
export function memoryBrokerAt(parsed: URL): MemoryBroker {
  const name = memoryBrokerName(parsed);
  const brokers = registry();
  let broker = brokers.get(name);
  if (!broker) {
    broker = new MemoryBroker(name);
    brokers.set(name, broker);
  }
  return broker;
}

/** Open a connection to the broker a `memory://` URL names. */
export function connectMemoryBroker(parsed: URL): MemoryConnection {
  return new MemoryConnection(memoryBrokerAt(parsed));
}
