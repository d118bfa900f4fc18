export { DEFAULT_BROKER_URL, maskBrokerUrl, maskSecrets, validateBrokerUrl } from './broker-url';
export { connectBroker, type ConnectOptions } from './connect';
export { ConfirmPublisher } from './confirm-publisher';
export { Topology } from './topology';
export { toAssertQueueOptions, toPublishOptions, replyQueueOptions } from './amqp-arguments';
export { LazyConnection } from './lazy-connection';
export { DelayedDelivery } from './delayed-delivery';
export {
  DELAY_LEVELS, MAX_DELAY_SECONDS, DELIVERY_EXCHANGE, LADDER_ENTRY_EXCHANGE, delayRoutingKey, deliveryBindingKey, ladderLevels, splitDelay,
} from './delay-ladder';
