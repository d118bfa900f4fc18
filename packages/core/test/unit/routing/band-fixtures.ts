import { Router, validateRoutingConfig, type RawRoutingDocument } from '../../../src/routing';

/** A router over queue files given as `{ '/cfg/name.yaml': settings }`, in that order. */
export function routerFor(files: Record<string, unknown>, defaults?: unknown): Router {
  const docs: RawRoutingDocument[] = Object.entries(files).map(([file, data]) => ({ file, kind: 'queue', data }));
  if (defaults) docs.unshift({ file: '/cfg/_defaults.yaml', kind: 'defaults', data: defaults });
  return new Router(validateRoutingConfig(docs));
}

/** A banded quorum queue (`orders`, bands 0-3, 4-6, 7-9), a quorum queue without bands, a classic queue. */
export const bandRouter = routerFor({
  '/cfg/orders.yaml': { queueType: 'quorum', maxPriority: 9, exchange: 'shop', tasks: ['orders.*'] },
  '/cfg/plain.yaml': { queueType: 'quorum', tasks: ['plain.*'] },
  '/cfg/classic.yaml': { tasks: ['classic.*'] },
});
