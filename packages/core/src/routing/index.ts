/**
 * Routing: per-queue config files → validated {@link RoutingConfig} → {@link Router}, which says
 * where each task message goes. Only the loader touches the file system.
 */
export {
  DEFAULT_ROUTING_DEFAULTS,
  EXCHANGE_TYPES,
  QUEUE_TYPES,
  DEFAULT_DELIVERY_LIMIT,
  type ExchangeType,
  type QueueType,
  type PriorityBand,
  type ExchangeDeclaration,
  type QueueDeclaration,
  type QueueRoute,
  type RoutingDefaults,
  type RoutingConfig,
} from './route-config';
export { loadRoutingConfig, loadRoutingConfigSync } from './load-routing-config';
export {
  validateRoutingConfig,
  checkRoutingConfig,
  type RawRoutingDocument,
  type RoutingConfigCheck,
} from './validate-routing-config';
export { validateRoutingDefaults } from './validate-routing-defaults';
export { emptyRoutingConfig } from './empty-routing-config';
export { parseRoutingFile, parseConfigText } from './parse-routing-file';
export { FieldReader, describeValue, isMapping, type RawMapping } from './field-reader';
export { Router, pickPriorityBand, type ResolvedRoute, type ExplicitRoute, type PublishTarget, type BandTarget } from './router';
export { bandQueueName, evenBands, DEFAULT_BAND_COUNT } from './priority-bands';
export { compileTaskPattern, type TaskPattern } from './glob';
export { topicMatches } from './topic-match';
export { unknownQueueWarning, type KnownQueues } from './unknown-queue-warning';
