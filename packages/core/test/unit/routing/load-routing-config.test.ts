import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError } from '../../../src/errors';
import { loadRoutingConfig, loadRoutingConfigSync, type RoutingConfig } from '../../../src/routing';
import { problemsOf, problemsOfAsync } from './config-problems';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'taskq-routing-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
}

/** Loads with both variants, checks they agree, and returns the result. */
async function loadBoth(path: string): Promise<RoutingConfig> {
  const config = await loadRoutingConfig(path);
  expect(loadRoutingConfigSync(path)).toEqual(config);
  return config;
}

/** Problems from both variants, which must agree. */
async function problemsBoth(path: string) {
  const problems = await problemsOfAsync(() => loadRoutingConfig(path));
  expect(problemsOf(() => loadRoutingConfigSync(path))).toEqual(problems);
  return problems;
}

describe('loadRoutingConfig: a directory', () => {
  it('reads *.yaml, *.yml and *.json in file-name order, with _defaults, ignoring everything else', async () => {
    write({
      'b-low.yml': 'tasks: [reports.*]\nmaxPriority: 3\n',
      '_defaults.yaml': 'defaultQueue: b-low\ndurable: false\n',
      'a-high.yaml': '# urgent work\nexchange: work\ntasks:\n  - tasks.add\n',
      'c-events.json': '{ "exchange": "ev", "exchangeType": "fanout" }',
      'README.md': '# not config',
      'notes.txt': 'tasks: nope',
      '.hidden.yaml': 'this: is: not: parsed',
    });
    mkdirSync(join(dir, 'nested.yaml'));
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'x.yaml'), 'not: [valid');

    const config = await loadBoth(dir);
    expect(config.sources).toEqual(['_defaults.yaml', 'a-high.yaml', 'b-low.yml', 'c-events.json'].map((f) => join(dir, f)));
    expect(config.defaults).toMatchObject({ defaultQueue: 'b-low', durable: false });
    expect(config.queues.map((q) => q.queue.name)).toEqual(['a-high', 'b-low', 'c-events']);
    expect(config.queues[0]).toMatchObject({
      queue: { exchange: { name: 'work', type: 'direct', durable: false }, bindingKeys: ['a-high'], durable: false },
      routingKey: 'a-high',
      tasks: ['tasks.add'],
      source: join(dir, 'a-high.yaml'),
    });
    expect(config.queues[1]?.queue.maxPriority).toBe(3);
    expect(config.queues[2]?.queue.exchange?.type).toBe('fanout');
  });

  it('follows symlinks to files', async () => {
    const target = join(dir, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'real.txt'), 'tasks: t\n');
    const configDir = join(dir, 'config');
    mkdirSync(configDir);
    symlinkSync(join(target, 'real.txt'), join(configDir, 'linked.yaml'));
    const config = await loadBoth(configDir);
    expect(config.queues.map((q) => q.queue.name)).toEqual(['linked']);
  });

  it('gives an empty routing table for a directory without config files', async () => {
    write({ 'README.md': 'nothing here' });
    const config = await loadBoth(dir);
    expect(config.queues).toEqual([]);
    expect(config.sources).toEqual([]);
    expect(config.defaults.defaultQueue).toBe('celery');
  });

  it('resolves a relative path against the working directory', async () => {
    write({ 'q.yaml': 'tasks: t\n' });
    const config = await loadBoth(relative(process.cwd(), dir));
    expect(config.sources).toEqual([join(dir, 'q.yaml')]);
  });

  it('reports parse errors with line and column, empty files, and validation problems together', async () => {
    write({
      'bad.yaml': 'tasks:\n  - a\n  b: c\n',
      'broken.json': '{\n  "tasks": ["a",]\n}',
      'empty.yaml': '# only a comment\n',
      'empty.json': '  \n',
      'list.yaml': '- tasks.add\n',
      'typo.yaml': 'maxPriorty: 5\n',
    });
    const problems = await problemsBoth(dir);
    expect(problems.map((p) => [relative(dir, p.file), p.key])).toEqual([
      ['bad.yaml', ''],
      ['broken.json', ''],
      ['empty.json', ''],
      ['empty.yaml', ''],
      ['list.yaml', ''],
      ['typo.yaml', 'maxPriorty'],
    ]);
    expect(problems[0]?.message).toMatch(/^invalid YAML: .* at line 3, column \d+/);
    expect(problems[1]?.message).toBe("invalid JSON: expected a value, found ']' at line 2, column 17");
    expect(problems[2]?.message).toBe('file is empty; expected a mapping with queue settings');
    expect(problems[3]?.message).toBe('file is empty; expected a mapping with queue settings');
    expect(problems[4]?.message).toBe('expected a mapping with queue settings at the top level, found a list of 1 item');
  });

  it('refuses several YAML documents, custom tags and alias bombs', async () => {
    write({
      'multi.yaml': 'tasks: a\n---\ntasks: b\n',
      'tagged.yaml': 'tasks: !!js/function "function () {}"\n',
      'bomb.yaml': [
        'a: &a [x, x, x, x, x, x, x, x, x, x]',
        ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdef'[i]}`).join(', ')}]`),
        'tasks: t',
      ].join('\n'),
    });
    const problems = await problemsBoth(dir);
    expect(problems.map((p) => relative(dir, p.file))).toEqual(['bomb.yaml', 'multi.yaml', 'tagged.yaml']);
    expect(problems[0]?.message).toMatch(/^invalid YAML: .*alias/i);
    expect(problems[1]?.message).toBe("invalid YAML: found 2 documents (separated by '---'); expected one");
    expect(problems[2]?.message).toMatch(/^invalid YAML: .*tag/i);
  });

  it('reports the same queue in two files', async () => {
    write({ 'high.yaml': '{}\n', 'high.json': '{}' });
    const problems = await problemsBoth(dir);
    expect(problems).toEqual([
      {
        file: join(dir, 'high.yaml'),
        key: '',
        message: `queue 'high' is already declared in ${join(dir, 'high.json')}; declare each queue once`,
      },
    ]);
  });
});

describe('loadRoutingConfig: a single file', () => {
  it('reads defaults and queues from one YAML file', async () => {
    const file = join(dir, 'taskq.yaml');
    writeFileSync(
      file,
      [
        'defaults:',
        '  defaultQueue: main',
        '  priority: 4',
        'queues:',
        '  main:',
        '  reports:',
        '    exchange: reports',
        '    exchangeType: topic',
        "    bindingKeys: 'reports.#'",
        '    routingKey: reports.any',
        "    tasks: 'reports.*'",
      ].join('\n'),
    );
    const config = await loadBoth(file);
    expect(config.sources).toEqual([file]);
    expect(config.defaults).toMatchObject({ defaultQueue: 'main', priority: 4 });
    expect(config.queues.map((q) => [q.queue.name, q.routingKey, q.source])).toEqual([
      ['main', 'main', file],
      ['reports', 'reports.any', file],
    ]);
  });

  it('reads the single-file form from JSON too and names the file in problems', async () => {
    const file = join(dir, 'taskq.json');
    writeFileSync(file, JSON.stringify({ queues: { a: { maxPriority: 300 } } }));
    expect(await problemsBoth(file)).toEqual([
      { file, key: 'queues.a.maxPriority', message: 'expected an integer from 1 to 255 (or 0/null for no priority), found 300' },
    ]);
  });

  it('rejects a file that is not YAML or JSON', async () => {
    const file = join(dir, 'taskq.conf');
    writeFileSync(file, 'queues: {}');
    const problems = await problemsBoth(file);
    expect(problems).toEqual([{ file, key: '', message: 'expected a .yaml, .yml, .json file, or a directory of them' }]);
  });
});

describe('loadRoutingConfig: a path that does not exist', () => {
  it('throws one ConfigError saying how to pass a config', async () => {
    const missing = join(dir, 'nope');
    const error = await loadRoutingConfig(missing).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe(missing);
    expect(problems[0]?.message).toContain('not found');
    for (const hint of ['createApp({ config })', '--config', 'TASKQ_CONFIG']) expect(problems[0]?.message).toContain(hint);
    expect(() => loadRoutingConfigSync(missing)).toThrow(ConfigError);
  });

  it('treats a path below a file as not found', async () => {
    write({ 'file.yaml': 'queues: {}' });
    const problems = await problemsBoth(join(dir, 'file.yaml', 'x'));
    expect(problems[0]?.message).toContain('not found');
  });
});
