import { SerializationError } from '../../../src/errors';
import { createMsgpackSerializer, MAX_DECODE_DEPTH, NestingTooDeepError } from '../../../src/serialization';
import { scanMsgpackNesting } from '../../../src/serialization/msgpack-nesting';

const msgpack = createMsgpackSerializer();
const bytes = (source: string): Buffer => Buffer.from(source.replace(/\s/g, ''), 'hex');
const scan = (source: string | Buffer, limit = MAX_DECODE_DEPTH): unknown =>
  scanMsgpackNesting(typeof source === 'string' ? bytes(source) : source, limit);

describe('msgpack nesting scan', () => {
  it.each([
    ['fixarray', '91', '01'],
    ['fixmap (key and value)', '81 a16b', '01'],
    ['array 16', 'dc0001', 'c0'],
    ['array 32', 'dd00000001', 'c3'],
    ['map 16', 'de0001 a16b', 'c2'],
    ['map 32', 'df00000001 a16b', 'ca00000000'],
  ])('follows %s headers exactly', (_label, header, leaf) => {
    expect(scan(header.repeat(3) + leaf, 3)).toEqual({ kind: 'within-limit' });
    expect(scan(header.repeat(4) + leaf, 3)).toEqual({ kind: 'too-deep' });
  });

  it('skips every scalar format by its length, and closes containers when their items are read', () => {
    const scalars = [
      '00',
      '7f',
      'e0',
      'ff',
      'c0',
      'c2',
      'c3',
      'cc01',
      'cd0102',
      'ce01020304',
      'cf0102030405060708',
      'd001',
      'd10102',
      'd201020304',
      'd30102030405060708',
      'ca01020304',
      'cb0102030405060708',
      'a3616263',
      'd903616263',
      'da0003616263',
      'db00000003616263',
      'c403010203',
      'c50003010203',
      'c600000003010203',
      'd6ff01020304',
      'd7ff0102030405060708',
      'c70cff010203040506070809101112',
      'c8000cff010203040506070809101112',
      'c90000000cff010203040506070809101112',
      'd4ff01',
      'd5ff0102',
      'd8ff01020304050607080910111213141516',
    ];
    // Each scalar in a one-item array, then a 3-deep last item that is only reached when every
    // length above was skipped exactly (a slip would end the outer array early).
    const items = [...scalars.map((scalar) => `91${scalar}`), '919191 01'];
    const payload = `dc${items.length.toString(16).padStart(4, '0')}${items.join('')}`;
    expect(scan(payload, 4)).toEqual({ kind: 'within-limit' });
    expect(scan(payload, 3)).toEqual({ kind: 'too-deep' });
    expect(scan(`a5${'9191919191'}`, 1)).toEqual({ kind: 'within-limit' }); // a string of 0x91 bytes
  });

  it('stops at the end of the first value, like the decoder', () => {
    expect(scan(`01${'91'.repeat(100)}`, 3)).toEqual({ kind: 'within-limit' });
    expect(scan(`9201 92 02 03 ${'91'.repeat(100)}`, 3)).toEqual({ kind: 'within-limit' });
  });

  it.each([
    ['an array 32 claiming 4 billion items', 'ddffffffff 01'],
    ['a map 32 claiming 4 billion entries', 'dfffffffff a16b'],
    ['a str 32 claiming 4 GB', 'dbffffffff 6162'],
    ['a bin 32 claiming 4 GB', 'c6ffffffff 00'],
    ['an ext 32 claiming 4 GB', 'c9ffffffff ff'],
    ['a header cut short', 'dd00'],
    ['a length cut short', 'c5'],
    ['a fixext cut short', 'd7ff00'],
  ])('ends cleanly on truncated input: %s', (_label, source) => {
    expect(scan(source)).toEqual({ kind: 'within-limit' });
    const decode = (): unknown => msgpack.decode(Buffer.concat([bytes('91'.repeat(MAX_DECODE_DEPTH - 1)), bytes(source)]));
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(/^Cannot decode application\/x-msgpack payload \(\d+ bytes\): /);
  });

  it('refuses absurd counts nested deeply without reading them', () => {
    const payload = bytes('ddffffffff'.repeat(10_000));
    const started = Date.now();
    expect(scan(payload)).toEqual({ kind: 'too-deep' });
    expect(() => msgpack.decode(payload)).toThrow(NestingTooDeepError);
    expect(() => msgpack.decode(bytes(`dcffff${'dcffff'.repeat(MAX_DECODE_DEPTH)}`))).toThrow(NestingTooDeepError);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('terminates on arbitrary bytes', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % 256;
    };
    for (let i = 0; i < 2000; i++) {
      const payload = Buffer.from(Array.from({ length: 1 + (i % 300) }, random));
      expect(['within-limit', 'too-deep', 'extension']).toContain((scan(payload) as { kind: string }).kind);
      try {
        msgpack.decode(payload);
      } catch (error) {
        expect(error).toBeInstanceOf(SerializationError);
      }
    }
  });
});

describe('msgpack nesting: extensions whose decoders read further values', () => {
  it('reports extensions other than the timestamp, with their signed type and offset', () => {
    expect(scan('92 01 d47300 90')).toEqual({ kind: 'extension', type: 0x73, offset: 2 });
    expect(scan('91 c70105 00')).toEqual({ kind: 'extension', type: 5, offset: 1 });
    expect(scan('d4fe00')).toEqual({ kind: 'extension', type: -2, offset: 0 });
  });

  it.each([
    // msgpackr reads the value after a Set header inside it: one level per 3 bytes
    ['a chain of msgpackr Set headers', Buffer.concat([Buffer.alloc(30_000 * 3, 'd47300', 'hex'), bytes('90')]), 115],
    // a record definition, then record instances (single bytes 0x40) nested inside each other
    ['nested msgpackr records', Buffer.concat([bytes('d4724091a161'), Buffer.alloc(30_000, 0x40), bytes('01')]), 114],
  ])('refuses %s before msgpackr recurses into it', (_label, payload, type) => {
    const decode = (): unknown => msgpack.decode(payload);
    expect(decode).toThrow(SerializationError);
    expect(decode).toThrow(
      `Cannot decode application/x-msgpack payload (${payload.length} bytes): extension type ${type} at byte 0; ` +
        'taskq accepts only standard MessagePack types and the timestamp extension.',
    );
  });

  it('still reads timestamps anywhere in a long payload', () => {
    const when = new Date('2024-05-01T12:30:00.123Z');
    const value = Array.from({ length: 20 }, (_, i) => ({ i, when }));
    expect(msgpack.decode(msgpack.encode(value))).toEqual(value);
  });
});
