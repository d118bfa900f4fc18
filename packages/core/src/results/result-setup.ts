import type { Channel } from 'amqplib';
import { TaskqError } from '../errors';
import type { EventLoopHold } from '../event-loop-hold';
import type { Logger } from '../logger';
import type { AcceptList, SerializerRegistry } from '../serialization';
import type { QueueType } from '../routing';
import type { Transport } from '../transport';
import { HeldResultBackend } from './held-result-backend';
import { createRedisResultBackend } from './redis-result-backend';
import { createRedisResultStore } from './redis-result-store';
import type { ResultBackend, ResultStore } from './result-backend';
import type { ResultBackendSetting } from './result-backend-url';
import { RpcResultBackend } from './rpc-result-backend';
import { RpcResultStore } from './rpc-result-store';

/** An app's result settings: which backend, and how long Redis keeps a result. */
export interface ResultSettings {
  readonly backend: ResultBackendSetting;
  /** Seconds a result stays in Redis (`resultExpires`). */
  readonly expiresSeconds: number;
  readonly logger: Logger;
  /** The rpc reply queue's type: the app's default `queueType`. @defaultValue `'classic'` */
  readonly replyQueueType?: QueueType;
}

/**
 * The producer side of the result backend, or undefined when results are disabled. rpc replies
 * come over `transport` (consumed again after each reconnect). Its sockets do not keep the process
 * alive; its waits do, through `hold` (see {@link EventLoopHold}).
 */
export function openResultBackend(
  settings: ResultSettings,
  transport: Transport,
  accept: AcceptList,
  hold: EventLoopHold,
): ResultBackend | undefined {
  switch (settings.backend.kind) {
    case 'rpc': {
      const backend = new RpcResultBackend(() => transport.channels(), accept, settings.logger, settings.replyQueueType);
      transport.onReconnect(() => backend.restart());
      return new HeldResultBackend(backend, hold);
    }
    case 'redis':
      return new HeldResultBackend(createRedisResultBackend(settings.backend.url, accept, settings.logger), hold);
    case 'disabled':
      return undefined;
  }
}

/**
 * Makes the worker side of the result backend: the store results of consumed tasks go to. rpc
 * replies are published on the consuming channel, before the ack; Redis needs no channel.
 */
export class ResultStoreFactory {
  constructor(
    private readonly settings: ResultSettings,
    private readonly serializers: SerializerRegistry,
  ) {}

  /** `rpc`, `redis` or `disabled`. */
  get kind(): ResultBackendSetting['kind'] {
    return this.settings.backend.kind;
  }

  /** A store for tasks consumed on `channel`, encoding results with the serializer `serializerName`. */
  create(channel: Channel | undefined, serializerName = 'json'): ResultStore {
    const serializer = this.serializers.get(serializerName);
    const { backend } = this.settings;
    switch (backend.kind) {
      case 'rpc':
        if (!channel) throw new TaskqError('INVALID_OPTION', 'The rpc result store publishes replies on the consuming channel: pass it.');
        return new RpcResultStore(channel, serializer);
      case 'redis':
        return createRedisResultStore(backend.url, serializer, this.settings.expiresSeconds, this.settings.logger);
      case 'disabled':
        return DISABLED_STORE;
    }
  }
}

/** A store for apps with results disabled: no task wants a result. */
const DISABLED_STORE: ResultStore = {
  wantsResult: () => false,
  store: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
