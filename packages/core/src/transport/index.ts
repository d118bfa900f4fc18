export { DEFAULT_BROKER_URL, maskBrokerUrl, maskSecrets, splitBrokerUrls, validateBrokerUrl, validateBrokerUrls } from './broker-url';
export { type BrokerConnection, connectBroker, type ConnectOptions, type ReconnectOptions, type TlsOptions } from './connect';
export { ConfirmPublisher, DEFAULT_SEND_TIMEOUT_MS } from './confirm-publisher';
export { beforeDeadline } from './deadline';
export { Topology } from './topology';
export { toAssertQueueOptions, toPublishOptions, replyQueueOptions, copyPublishOptions } from './amqp-arguments';
export { BrokerTransport, type Transport, type TransportRole, type TransportSettings } from './broker-transport';
export { DelayedDelivery } from './delayed-delivery';
export {
  DELAY_LEVELS,
  MAX_DELAY_SECONDS,
  DELIVERY_EXCHANGE,
  LADDER_ENTRY_EXCHANGE,
  type LadderKind,
  ladderEntry,
  delayRoutingKey,
  deliveryBindingKey,
  ladderLevels,
  splitDelay,
} from './delay-ladder';
export type { ChannelSource } from './channel-source';
