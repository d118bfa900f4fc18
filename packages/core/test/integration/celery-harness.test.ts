// Smoke test of the real-Celery harness (test/celery): a real Celery 5.2.6 producer talks to a
// real Celery 5.2.6 worker. No taskq code is involved; it proves the fixtures work before
// interop tests rely on them.
import * as amqp from 'amqplib';
import {
  CeleryWorker,
  deleteCeleryQueue,
  describeWithCelery,
  pyDatetime,
  runCeleryClient,
  sendResult,
  uniqueCeleryQueue,
  type CelerySerializer,
  type EchoResult,
  type SendOp,
} from '../../../../test/celery/harness';

const BROKER_URL = process.env['TASKQ_BROKER_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const SERIALIZERS: CelerySerializer[] = ['json', 'msgpack', 'yaml'];

async function withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(BROKER_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await fn(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

describeWithCelery('real Celery harness (Python producer ↔ Python worker)', () => {
  const queue = uniqueCeleryQueue('celery');
  const extraQueues: string[] = [];
  let worker: CeleryWorker | undefined;

  beforeAll(async () => {
    worker = await CeleryWorker.start({ queues: [queue] });
  }, 40_000);

  afterAll(async () => {
    await worker?.stop();
    for (const name of [queue, ...extraQueues]) {
      await withChannel((ch) => deleteCeleryQueue(ch, name)).catch(() => undefined);
    }
  });

  it('declares the queue like taskq does: durable, x-max-priority 10', async () => {
    const [info] = await runCeleryClient({ ops: [{ op: 'inspect_queue', queue }] });
    expect(info).toMatchObject({ op: 'inspect_queue', exists: true, consumer_count: 1 });
    // A redeclaration with taskq's arguments succeeds only if they are equivalent.
    await withChannel((ch) => ch.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } }));
  });

  it('runs py.add and py.fail with every serializer and reports results and failures', async () => {
    const ops: SendOp[] = SERIALIZERS.flatMap((serializer): SendOp[] => [
      { name: 'py.add', args: [2, 3], queue, serializer, get: true, timeout: 15 },
      { name: 'py.fail', args: [`boom via ${serializer}`], queue, serializer, get: true, timeout: 15 },
    ]);
    const results = (await runCeleryClient({ ops })).map(sendResult);

    SERIALIZERS.forEach((serializer, i) => {
      const add = results[2 * i];
      const fail = results[2 * i + 1];
      expect(add).toMatchObject({ state: 'SUCCESS', result: 5, timed_out: false });
      expect(add?.id).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/));
      expect(fail).toMatchObject({
        state: 'FAILURE',
        result: null,
        exc_type: 'ValueError',
        exc_message: `boom via ${serializer}`,
        timed_out: false,
      });
      expect(fail?.traceback).toContain('ValueError');
    });
  });

  it('delivers a Python datetime as datetime only with yaml (kombu 5.2 json sends a plain ISO string)', async () => {
    const when = pyDatetime('2024-01-02T03:04:05.123456+00:00');
    const results = (
      await runCeleryClient({
        ops: SERIALIZERS.map((serializer) => ({
          name: 'py.echo',
          args: [when],
          kwargs: { at: when },
          queue,
          serializer,
          get: true,
          expect_error: true,
        })),
      })
    ).map(sendResult);
    const [json, msgpack, yaml] = results;

    const yamlEcho = yaml?.result as unknown as EchoResult;
    expect(yaml?.state).toBe('SUCCESS');
    expect(yamlEcho.types).toEqual(['datetime']);
    expect(yamlEcho.kwarg_types).toEqual({ at: 'datetime' });
    expect(yamlEcho.args).toEqual(['datetime:2024-01-02T03:04:05.123456+00:00']);
    expect(yamlEcho.request).toMatchObject({
      task: 'py.echo',
      lang: 'py',
      id: yaml?.id,
      properties: expect.objectContaining({ content_type: 'application/x-yaml', content_encoding: 'utf-8' }),
      delivery_info: expect.objectContaining({ exchange: '', routing_key: queue }),
    });

    // kombu 5.2.4's JSON encoder writes datetimes as ISO strings ("+00:00" → "Z") and decodes
    // nothing back: the task gets a str. (The {"__type__": …} tags only exist from kombu 5.3.)
    const jsonEcho = json?.result as unknown as EchoResult;
    expect(jsonEcho.types).toEqual(['str']);
    expect(jsonEcho.args).toEqual(['2024-01-02T03:04:05.123456Z']);

    // msgpack in kombu 5.2.4 cannot carry a datetime at all: send_task raises EncodeError.
    expect(msgpack?.id).toBeNull();
    expect(msgpack?.send_error).toMatchObject({ type: 'EncodeError', module: 'kombu.exceptions' });
  });

  it('fails to start (PRECONDITION_FAILED) when Celery would declare an existing x-max-priority queue without it', async () => {
    const taskqQueue = uniqueCeleryQueue('celery-prio');
    extraQueues.push(taskqQueue);
    await withChannel((ch) => ch.assertQueue(taskqQueue, { durable: true, arguments: { 'x-max-priority': 10 } }));

    await expect(CeleryWorker.start({ queues: [taskqQueue], queueMaxPriority: null })).rejects.toThrow(
      /PRECONDITION_FAILED - inequivalent arg 'x-max-priority'/,
    );
  });
});
