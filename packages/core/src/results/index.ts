export { AsyncResult, unwrapResult, type GetOptions, type ResultSource } from './async-result';
export type { ResultBackend, ResultStore } from './result-backend';
export { RpcResultBackend } from './rpc-result-backend';
export { RpcResultStore } from './rpc-result-store';
export { parseResultBackend, type ResultBackendSetting } from './result-backend-url';
export { createRedisResultBackend, RedisResultBackend } from './redis-result-backend';
export { createRedisResultStore, RedisResultStore } from './redis-result-store';
export { openResultBackend, ResultStoreFactory, type ResultSettings } from './result-setup';
