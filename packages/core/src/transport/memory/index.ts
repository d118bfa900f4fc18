export { memoryBroker, type IdleOptions, type MemoryBrokerControl } from './memory-broker-control';
export { connectMemoryBroker, isMemoryBrokerUrl, memoryBrokerName } from './memory-url';
export { MemoryBroker } from './memory-broker';
export { MemoryConnection } from './memory-connection';
export { MemoryChannel } from './memory-channel';
