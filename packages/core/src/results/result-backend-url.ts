import { TaskqError } from '../errors';
import { maskBrokerUrl } from '../transport';

/** A parsed `resultBackend` setting. */
export type ResultBackendSetting = { kind: 'rpc' } | { kind: 'redis'; url: string } | { kind: 'disabled' };

/** Read a `resultBackend` option: `rpc://`, `redis://…`/`rediss://…`, or `disabled`. */
export function parseResultBackend(value: string): ResultBackendSetting {
  const text = value.trim();
  if (text === 'rpc://' || text === 'rpc') return { kind: 'rpc' };
  if (text === 'disabled' || text === 'none' || text === '') return { kind: 'disabled' };
  if (/^rediss?:\/\//i.test(text)) return { kind: 'redis', url: text };
  throw new TaskqError(
    'RESULT_BACKEND_INVALID',
    `Unknown result backend '${maskBrokerUrl(text)}': use 'rpc://', 'redis://host:6379/0' or 'disabled' ` +
      `(createApp({ resultBackend }) or TASKQ_RESULT_BACKEND).`,
  );
}
