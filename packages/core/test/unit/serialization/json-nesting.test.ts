import { createJsonSerializer, MAX_DECODE_DEPTH, NestingTooDeepError } from '../../../src/serialization';
import { jsonNestingExceeds, minJsonBytesDeeperThan } from '../../../src/serialization/json-nesting';

const json = createJsonSerializer();
const exceeds = (source: string, limit: number): boolean => jsonNestingExceeds(Buffer.from(source, 'utf8'), limit);

describe('json nesting scan', () => {
  it('counts arrays and objects, empty ones included', () => {
    expect(exceeds('[{"a":[]}]', 3)).toBe(false);
    expect(exceeds('[{"a":[[]]}]', 3)).toBe(true);
    expect(exceeds('[[1],[2],{"a":[3]}]', 3)).toBe(false); // siblings do not add up
    expect(exceeds('[[1],[2],{"a":[3]}]', 2)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes and backslashes included', () => {
    expect(exceeds('["[[[{{{", "\\"[[[", "\\\\", "{{{", "\\\\\\"]]]{{"]', 1)).toBe(false);
    expect(exceeds('["\\\\", [[1]]]', 2)).toBe(true); // the string ends after the escaped backslash
  });

  it('is not fooled by multi-byte UTF-8 characters', () => {
    expect(exceeds('["Zoë 🚀 任务 [[[[", {"键": ["值"]}]', 3)).toBe(false);
  });

  it('needs at least two bytes per level beyond the limit, which is what lets short payloads skip it', () => {
    const limit = 5;
    const shortest = `${'['.repeat(limit + 1)}${']'.repeat(limit + 1)}`;
    expect(shortest.length).toBe(minJsonBytesDeeperThan(limit));
    expect(exceeds(shortest, limit)).toBe(true);
  });
});

describe('json decoder: nesting', () => {
  it('decodes a long payload at the limit whose strings are full of brackets', () => {
    const string = `${'[{'.repeat(500)}\\"${'[{'.repeat(500)}`;
    const text = `${'['.repeat(MAX_DECODE_DEPTH - 1)}{"s": "${string}"}${']'.repeat(MAX_DECODE_DEPTH - 1)}`;
    let value = json.decode(Buffer.from(text));
    for (let i = 0; i < MAX_DECODE_DEPTH - 1; i++) value = (value as unknown[])[0];
    expect((value as { s: string }).s).toHaveLength(2001);
  });

  it('refuses the shortest payload one level too deep', () => {
    const payload = Buffer.from(`${'['.repeat(MAX_DECODE_DEPTH + 1)}${']'.repeat(MAX_DECODE_DEPTH + 1)}`);
    expect(payload.length).toBe(minJsonBytesDeeperThan(MAX_DECODE_DEPTH));
    expect(() => json.decode(payload)).toThrow(NestingTooDeepError);
  });

  it('refuses deep nesting before parsing, even with kombu tags that would be revived', () => {
    const depth = 200_000;
    const decode = (): unknown => json.decode(Buffer.from(`${'['.repeat(depth)}{"__type__": "x"}${']'.repeat(depth)}`));
    expect(decode).toThrow(NestingTooDeepError);
    expect(decode).toThrow('Cannot decode application/json payload (400017 bytes): it is nested deeper than 64 levels');
  });
});
