import { parseRoutingFile } from '../../../src/routing';

const errorOf = (file: string, text: string): string | undefined => {
  const parsed = parseRoutingFile(file, text, 'queue');
  return 'problem' in parsed ? parsed.problem.message : undefined;
};
const dataOf = (file: string, text: string): unknown => {
  const parsed = parseRoutingFile(file, text, 'queue');
  if ('problem' in parsed) throw new Error(parsed.problem.message);
  return parsed.document.data;
};

describe('parseRoutingFile', () => {
  it('parses YAML with the core schema (no YAML 1.1 surprises)', () => {
    expect(dataOf('q.yaml', 'durable: yes\nmaxPriority: 010\nqueue: on\n')).toEqual({ durable: 'yes', maxPriority: 10, queue: 'on' });
    expect(dataOf('q.yml', 'tasks: [a, b]\n')).toEqual({ tasks: ['a', 'b'] });
  });

  it('parses JSON strictly and tolerates a byte-order mark', () => {
    expect(dataOf('q.json', '\uFEFF{"tasks": "a"}')).toEqual({ tasks: 'a' });
    expect(errorOf('q.json', "{'tasks': 'a'}")).toBe("invalid JSON: expected a double-quoted key, found ''' at line 1, column 2");
  });

  it.each([
    ['{"a": 1', "expected ',' or '}', found the end of the file at line 1, column 8"],
    ['{"a" 1}', "expected ':' after the key, found '1' at line 1, column 6"],
    ['{\n  "a": "x\ny"\n}', 'unescaped control character (such as a line break) in a string at line 2, column 10'],
    ['{"a": "\\q"}', 'invalid escape sequence in a string at line 1, column 8'],
    ['{"a": 01}', "expected ',' or '}', found '1' at line 1, column 8"],
    ['{"a": 1} x', "expected the end of the file after the value, found 'x' at line 1, column 10"],
    ['{"a": tru}', "expected a value, found 't' at line 1, column 7"],
  ])('locates the JSON error in %p', (text, message) => {
    expect(errorOf('q.json', text)).toBe(`invalid JSON: ${message}`);
  });

  it('returns null data for empty files so validation reports them', () => {
    expect(dataOf('q.yaml', '')).toBeNull();
    expect(dataOf('q.yaml', '# nothing\n')).toBeNull();
    expect(dataOf('q.json', '\n')).toBeNull();
  });

  it('reports the YAML line and column on one line', () => {
    const message = errorOf('q.yaml', 'tasks: [a, b\nx: 1\n');
    expect(message).toMatch(/^invalid YAML: .* at line \d+, column \d+:?$/);
    expect(message).not.toContain('\n');
  });

  it('rejects duplicate keys in YAML', () => {
    expect(errorOf('q.yaml', 'tasks: a\ntasks: b\n')).toMatch(/^invalid YAML: Map keys must be unique at line 2, column 1/);
  });
});
