export { AsyncResult, unwrapResult, type GetOptions, type ResultSource } from './async-result';
export { RpcResultBackend } from './rpc-result-backend';
