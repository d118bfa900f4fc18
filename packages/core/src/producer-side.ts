import type { EventLoopHold } from './event-loop-hold';
import { Producer } from './producer';
import type { MessageSigner } from './signing';
import { openResultBackend, type ResultBackend, type ResultSettings } from './results';
import type { Router } from './routing';
import type { AcceptList, SerializerRegistry } from './serialization';
import { BrokerTransport, DEFAULT_SEND_TIMEOUT_MS, type Transport, type TransportSettings } from './transport';

/** What an app's producer side is built from (all of it configuration; nothing connects yet). */
export interface ProducerSideSettings {
  readonly transport: TransportSettings;
  readonly results: ResultSettings;
  readonly router: Router;
  readonly serializers: SerializerRegistry;
  readonly accept: AcceptList;
  readonly maxMessageBytes: number;
  readonly signer: MessageSigner | undefined;
  /** Keeps the process alive while a result wait is pending. */
  readonly hold: EventLoopHold;
}

/**
 * An app's sending half: its transport (one connection, opened on first send), the caller side of
 * the result backend, and the producer. A worker's failure handling publishes retries and dead
 * letters through the same transport, so a worker process has one publishing connection.
 */
export class ProducerSide {
  readonly transport: Transport;
  readonly results: ResultBackend | undefined;
  readonly producer: Producer;

  constructor(settings: ProducerSideSettings) {
    // The producer's sockets do not keep the process alive; its pending work does (EventLoopHold).
    this.transport = new BrokerTransport(settings.transport, { role: 'producer', holdsProcess: false });
    this.results = openResultBackend(settings.results, this.transport, settings.accept, settings.hold);
    this.producer = new Producer({
      router: settings.router,
      serializers: settings.serializers,
      transport: this.transport,
      results: this.results,
      sendTimeoutMs: settings.transport.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
      maxMessageBytes: settings.maxMessageBytes,
      signer: settings.signer,
    });
  }

  /** Wait for outstanding confirms, stop receiving results, close the connection. */
  async close(): Promise<void> {
    await this.results?.close();
    await this.transport.close();
  }
}
