import { compileTaskPattern } from '../../../src/routing';

const matches = (pattern: string, name: string): boolean => compileTaskPattern(pattern).matches(name);

describe('compileTaskPattern (fnmatch semantics)', () => {
  it('treats a plain task name as an exact, non-glob pattern', () => {
    const p = compileTaskPattern('tasks.add');
    expect(p.isGlob).toBe(false);
    expect(p.specificity).toBe('tasks.add'.length);
    expect(p.matches('tasks.add')).toBe(true);
    expect(p.matches('tasks.addx')).toBe(false);
    expect(p.matches('tasksxadd')).toBe(false); // '.' is not a wildcard
  });

  it('lets * match any run of characters, dots included, and nothing', () => {
    expect(matches('reports.*', 'reports.daily')).toBe(true);
    expect(matches('reports.*', 'reports.daily.pdf')).toBe(true);
    expect(matches('reports.*', 'reports.')).toBe(true);
    expect(matches('reports.*', 'reports')).toBe(false);
    expect(matches('*.urgent', 'a.b.urgent')).toBe(true);
    expect(matches('*.urgent', 'a.b.urgent.not')).toBe(false);
    expect(matches('a**b', 'a.x.b')).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    expect(matches('tasks.?dd', 'tasks.add')).toBe(true);
    expect(matches('tasks.?dd', 'tasks.dd')).toBe(false);
    expect(matches('tasks.?dd', 'tasks.aadd')).toBe(false);
    expect(matches('a?b', 'a.b')).toBe(true);
    expect(matches('x?', 'x😀')).toBe(true); // one code point, not one UTF-16 unit
  });

  it('supports [seq], [!seq], ranges and ] as first member', () => {
    expect(matches('[ab].x', 'a.x')).toBe(true);
    expect(matches('[ab].x', 'b.x')).toBe(true);
    expect(matches('[ab].x', 'c.x')).toBe(false);
    expect(matches('[!ab].x', 'c.x')).toBe(true);
    expect(matches('[!ab].x', 'a.x')).toBe(false);
    expect(matches('job[0-9]', 'job7')).toBe(true);
    expect(matches('job[0-9]', 'jobx')).toBe(false);
    expect(matches('x[]]', 'x]')).toBe(true);
    expect(matches('x[!]]', 'x]')).toBe(false);
    expect(matches('x[a-]', 'x-')).toBe(true);
    expect(matches('x[^a]', 'x^')).toBe(true); // ^ is a member, not negation
    expect(matches('x[^a]', 'xb')).toBe(false);
    expect(matches('x[\\]', 'x\\')).toBe(true); // backslash is literal in fnmatch
  });

  it('drops reversed ranges like fnmatch instead of throwing', () => {
    expect(matches('x[z-a]', 'xm')).toBe(false);
    expect(matches('x[z-a]', 'xz')).toBe(false);
    expect(matches('x[!z-a]', 'xm')).toBe(true);
  });

  it('treats an unclosed [ as a literal character', () => {
    const p = compileTaskPattern('tasks[a');
    expect(p.isGlob).toBe(false);
    expect(p.matches('tasks[a')).toBe(true);
    expect(p.matches('tasksa')).toBe(false);
  });

  it('keeps regex metacharacters literal', () => {
    expect(matches('a+b.(c)|d$*', 'a+b.(c)|d$tail')).toBe(true);
    expect(matches('a+b.*', 'aab.x')).toBe(false);
    expect(matches('a{2}*', 'aa')).toBe(false);
    expect(matches('a{2}*', 'a{2}')).toBe(true);
    expect(matches('^x*', '^xyz')).toBe(true);
    expect(matches('a/b*', 'a/bc')).toBe(true);
  });

  it('is case-sensitive and anchored at both ends', () => {
    expect(matches('tasks.*', 'Tasks.add')).toBe(false);
    expect(matches('*.add', 'tasks.add.more')).toBe(false);
    expect(matches('add*', 'tasks.add')).toBe(false);
  });

  it('counts literal characters as specificity', () => {
    expect(compileTaskPattern('reports.*').specificity).toBe(8);
    expect(compileTaskPattern('*').specificity).toBe(0);
    expect(compileTaskPattern('[ab].x').specificity).toBe(2);
    expect(compileTaskPattern('tasks.?dd').specificity).toBe(8);
    expect(compileTaskPattern('reports.*').isGlob).toBe(true);
  });
});
