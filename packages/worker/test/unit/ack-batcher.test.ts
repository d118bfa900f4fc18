import { AckBatcher } from '../../src/ack-batcher';

function batcherWith(delivered: number[]): AckBatcher {
  const batcher = new AckBatcher();
  for (const tag of delivered) batcher.delivered(tag);
  return batcher;
}

describe('batching acks safely', () => {
  it('sends nothing when nothing finished', () => {
    const batcher = batcherWith([1, 2]);
    expect(batcher.hasPending).toBe(false);
    expect(batcher.flush()).toEqual([]);
  });

  it('acks one finished delivery with a single, non-multiple ack', () => {
    const batcher = batcherWith([1, 2]);
    batcher.finish(1);
    expect(batcher.flush()).toEqual([{ deliveryTag: 1, multiple: false }]);
  });

  it('covers every finished delivery below the oldest running one with one multiple ack', () => {
    const batcher = batcherWith([1, 2, 3, 4, 5]);
    batcher.finish(2);
    batcher.finish(1);
    batcher.finish(3);
    expect(batcher.flush()).toEqual([{ deliveryTag: 3, multiple: true }]);
    batcher.finish(5);
    batcher.finish(4);
    expect(batcher.flush()).toEqual([{ deliveryTag: 5, multiple: true }]);
    expect(batcher.flush()).toEqual([]);
  });

  it('never lets a multiple ack cover a running task: finished ones above it are acked singly', () => {
    const batcher = batcherWith([1, 2, 3, 4, 5]);
    batcher.finish(1);
    batcher.finish(2);
    batcher.finish(4);
    batcher.finish(5);
    // 3 still runs: 1–2 together, 4 and 5 one by one (a long task must not hold back short ones' acks).
    expect(batcher.flush()).toEqual([
      { deliveryTag: 2, multiple: true },
      { deliveryTag: 4, multiple: false },
      { deliveryTag: 5, multiple: false },
    ]);
    batcher.finish(3);
    expect(batcher.flush()).toEqual([{ deliveryTag: 3, multiple: false }]);
  });

  it('treats a delivery waiting for a slot like a running one', () => {
    const batcher = batcherWith([7, 8, 9]);
    batcher.finish(8);
    expect(batcher.flush()).toEqual([{ deliveryTag: 8, multiple: false }]);
    batcher.finish(9);
    expect(batcher.flush()).toEqual([{ deliveryTag: 9, multiple: false }]);
  });

  it('lets a rejected or requeued delivery stop blocking the multiple ack', () => {
    const batcher = batcherWith([1, 2, 3]);
    batcher.finish(1);
    batcher.drop(2); // nacked on its own, already settled with the broker
    batcher.finish(3);
    expect(batcher.flush()).toEqual([{ deliveryTag: 3, multiple: true }]);
  });

  it('keeps working across many flushes with tags that only grow', () => {
    const batcher = new AckBatcher();
    const frames = [];
    for (let tag = 1; tag <= 1000; tag++) {
      batcher.delivered(tag);
      batcher.finish(tag);
      if (tag % 10 === 0) frames.push(...batcher.flush());
    }
    expect(frames).toHaveLength(100);
    expect(frames.every((frame) => frame.multiple)).toBe(true);
    expect(frames.at(-1)).toEqual({ deliveryTag: 1000, multiple: true });
  });
});
