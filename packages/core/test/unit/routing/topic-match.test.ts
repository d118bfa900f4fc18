import { topicMatches } from '../../../src/routing';

describe('topicMatches (AMQP topic exchange)', () => {
  it.each([
    ['a.b.c', 'a.b.c', true],
    ['a.b.c', 'a.b', false],
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.c', false],
    ['a.*.c', 'a.b.b.c', false],
    ['*', 'a', true],
    ['*', '', false],
    ['*', 'a.b', false],
    ['#', '', true],
    ['#', 'a.b.c', true],
    ['a.#', 'a', true],
    ['a.#', 'a.b.c', true],
    ['a.#', 'b.a', false],
    ['#.c', 'a.b.c', true],
    ['#.c', 'c', true],
    ['#.c', 'a.b.c.d', false],
    ['a.#.c', 'a.c', true],
    ['a.#.c', 'a.x.y.c', true],
    ['a.#.#.c', 'a.c', true],
    ['*.#', '', false],
    ['*.#', 'a', true],
    ['#.*', 'a.b', true],
    ['reports.*', 'reports.daily', true],
    ['a*.b', 'ax.b', false], // '*' is a wildcard only as a whole word
    ['a*.b', 'a*.b', true],
    ['', '', true],
    ['', 'a', false],
  ])('binding %p vs routing key %p → %p', (binding, key, expected) => {
    expect(topicMatches(binding, key)).toBe(expected);
  });

  it('stays fast on many # words (no exponential backtracking)', () => {
    const binding = `${Array(30).fill('#').join('.')}.z`;
    const key = Array(30).fill('a').join('.');
    const start = Date.now();
    expect(topicMatches(binding, key)).toBe(false);
    expect(Date.now() - start).toBeLessThan(500);
  });
});
