import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../../src/logger';
import { RpcResultBackend } from '../../../src/results/rpc-result-backend';
import { createSerializerRegistry } from '../../../src/serialization';
import type { ChannelSource } from '../../../src/transport/channel-source';
import { connectMemoryBroker } from '../../../src/transport/memory';

/**
 * A worker reports RETRY after the task's next attempt is already in the broker, so a quick next
 * attempt's FAILURE can reach the caller first. The rpc backend must keep the final state.
 */
it('keeps a final state when a late RETRY arrives after it (rpc backend, in-process peer)', async () => {
  const connection = (await connectMemoryBroker(new URL(`memory://rpc-late-${randomUUID()}`))) as unknown as ChannelSource & {
    close(): Promise<void>;
  };
  const json = createSerializerRegistry().get('json');
  const backend = new RpcResultBackend(async () => connection, createSerializerRegistry().acceptList(['json']), silentLogger);
  await backend.start();
  const taskId = randomUUID();
  const owner = {};
  backend.track(taskId, owner);
  const channel = await connection.createChannel();
  const reply = (status: string, result: unknown): void => {
    const body = json.encode({ task_id: taskId, status, result, traceback: null, children: [] });
    channel.sendToQueue(backend.replyTo!, body, { correlationId: taskId, contentType: 'application/json' });
  };
  reply('FAILURE', { exc_type: 'PaymentDeclined', exc_message: ['declined'], exc_module: 'builtins' });
  reply('RETRY', { exc_type: 'PaymentDeclined', exc_message: ['declined'], exc_module: 'builtins' });
  const meta = await backend.waitFor(taskId);
  expect(meta.status).toBe('FAILURE');
  await new Promise((resolve) => setTimeout(resolve, 50)); // the late RETRY has arrived by now
  expect(backend.peek(taskId)?.status).toBe('FAILURE');
  await backend.close();
  await connection.close();
});
