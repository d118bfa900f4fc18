import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createYamlSerializer, MAX_DECODE_DEPTH, NestingTooDeepError } from '../../../src/serialization';

const yaml = createYamlSerializer();
const decodeText = (source: string): unknown => yaml.decode(Buffer.from(source, 'utf8'));
const LEVELS = 3000;

/** Each builder writes `depth` nested collections in one YAML style, around the scalar `x`. */
const styles: Record<string, (depth: number) => string> = {
  'flow mappings': (depth) => `${'{a: '.repeat(depth)}x${'}'.repeat(depth)}`,
  'flow sequences': (depth) => `${'['.repeat(depth)}x${']'.repeat(depth)}`,
  'compact block sequences (- - -)': (depth) => `${'- '.repeat(depth)}x\n`,
  'maps nested by indentation': (depth) => `${Array.from({ length: depth }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`,
  'sequences at their parent key’s indentation': (depth) => {
    // a:\n- a:\n  - a: …: each sequence starts at the column of the key that holds it
    let source = 'a:';
    let column = 0;
    for (let level = 2; level <= depth; level++) {
      if (level % 2 === 0) source += `\n${' '.repeat(column)}- `;
      else [source, column] = [`${source}a:`, column + 2];
    }
    return `${source}${depth % 2 ? ' ' : ''}x\n`;
  },
};

/** The value the builders describe: `depth` levels around 'x'. */
function expected(style: string, depth: number): unknown {
  let value: unknown = 'x';
  for (let level = depth; level >= 1; level--) {
    if (style.startsWith('flow m') || style.startsWith('maps')) value = { a: value };
    else if (style.startsWith('flow s') || style.startsWith('compact')) value = [value];
    else value = level % 2 ? { a: value } : [value];
  }
  return value;
}

function decodeError(source: string): NestingTooDeepError {
  try {
    decodeText(source);
  } catch (error) {
    if (error instanceof NestingTooDeepError) return error;
    throw error;
  }
  throw new Error('expected decode to throw');
}

describe.each(Object.keys(styles))('yaml nesting: %s', (style) => {
  const build = styles[style]!;

  it('decodes MAX_DECODE_DEPTH levels and refuses one more', () => {
    expect(decodeText(build(MAX_DECODE_DEPTH))).toEqual(expected(style, MAX_DECODE_DEPTH));
    expect(decodeError(build(MAX_DECODE_DEPTH + 1)).message).toMatch(
      /^Cannot decode application\/x-yaml payload \(\d+ bytes\): it is nested deeper than 64 levels/,
    );
  });

  it(`refuses ${LEVELS} levels quickly, without overflowing the stack`, () => {
    const source = build(LEVELS);
    const started = Date.now();
    expect(decodeError(source).sizeBytes).toBe(Buffer.byteLength(source));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('yaml nesting: forms a text scan would miss, found by watching the parser', () => {
  it.each([
    ['explicit keys (? ? ?)', `${'? '.repeat(LEVELS)}x\n`],
    ['several maps opened at one column (a: : : 1)', `a: ${': '.repeat(LEVELS)}1\n`],
    ['implicit maps inside flow sequences ([a: [a: …]])', `${'[a: '.repeat(LEVELS)}x${']'.repeat(LEVELS)}`],
    ['unclosed flow collections', '[{'.repeat(LEVELS)],
  ])('refuses %s', (_label, source) => {
    expect(decodeError(source)).toBeInstanceOf(NestingTooDeepError);
  });

  it('counts the implicit map of a flow-sequence pair as a level', () => {
    const pairs = (depth: number): string => `${'[a: '.repeat(depth / 2)}x${']'.repeat(depth / 2)}`;
    expect(decodeText(pairs(MAX_DECODE_DEPTH))).toBeDefined();
    expect(decodeError(pairs(MAX_DECODE_DEPTH + 2))).toBeInstanceOf(NestingTooDeepError);
  });
});

describe('yaml nesting: what does not count', () => {
  it('ignores brackets and indicators inside quoted scalars, comments and block scalars', () => {
    const brackets = '[{'.repeat(LEVELS);
    const source = [
      `double: "${brackets} \\" ${brackets}"`,
      `single: '${brackets} '' ${brackets}'`,
      `comment: 1 # ${brackets}`,
      'block: |',
      ...Array.from({ length: 100 }, (_, i) => `  ${' '.repeat(i)}- - ? [{ ${i}`),
      `deep: ${'['.repeat(MAX_DECODE_DEPTH - 1)}1${']'.repeat(MAX_DECODE_DEPTH - 1)}`,
    ].join('\n');
    const decoded = decodeText(`${source}\n`) as Record<string, unknown>;
    expect(decoded.double).toBe(`${brackets} " ${brackets}`);
    expect(decoded.single).toBe(`${brackets} ' ${brackets}`);
    expect(decoded.comment).toBe(1);
    expect((decoded.block as string).split('\n')[99]).toBe(`${' '.repeat(99)}- - ? [{ 99`);
  });
});

describe('yaml nesting: aliases', () => {
  // Each anchor is 30 levels deep and holds an alias to the previous one.
  const chain = (length: number): string =>
    Array.from({ length }, (_, i) => `a${i}: &a${i} ${'['.repeat(30)}${i ? `*a${i - 1}` : '1'}${']'.repeat(30)}`).join('\n');

  it('accepts an alias that stays within the limit', () => {
    const decoded = decodeText(chain(2)) as { a1: unknown };
    let value = decoded.a1;
    let depth = 0;
    while (Array.isArray(value)) [value, depth] = [value[0], depth + 1];
    expect(depth).toBe(60);
  });

  it('refuses a value that aliases make deeper than the limit, though its text is shallow', () => {
    expect(decodeError(chain(3))).toBeInstanceOf(NestingTooDeepError);
    expect(decodeError(chain(5)).message).toContain('it is nested deeper than 64 levels');
  });
});

describe('yaml nesting: the process survives', () => {
  // Before the limit, these bodies made V8 run out of stack inside the yaml library and then
  // abort the whole process ("RegExpCompiler Allocation failed - process out of memory"), which
  // no try/catch can stop. So they run in a child process that loads the TypeScript sources.
  it(`keeps a process alive through repeated ${LEVELS}-level documents`, () => {
    const script = `
      const fs = require('node:fs');
      const ts = require(process.env.TS_PATH);
      require.extensions['.ts'] = (module, filename) => {
        const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
        const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), { compilerOptions: options });
        module._compile(outputText, filename);
      };
      const { createYamlSerializer } = require(process.env.SERIALIZATION);
      const yaml = createYamlSerializer();
      const outcomes = {};
      for (const source of JSON.parse(process.env.SOURCES)) {
        for (let i = 0; i < 10; i++) {
          try { yaml.decode(Buffer.from(source)); outcomes.decoded = (outcomes.decoded || 0) + 1; }
          catch (error) { outcomes[error.name] = (outcomes[error.name] || 0) + 1; }
        }
      }
      process.stdout.write(JSON.stringify(outcomes));
    `;
    const sources = [styles['flow mappings']!(LEVELS), styles['compact block sequences (- - -)']!(LEVELS), `a: ${': '.repeat(LEVELS)}1`];
    const child = spawnSync(process.execPath, ['-e', script], {
      env: {
        ...process.env,
        TS_PATH: require.resolve('typescript'),
        SERIALIZATION: path.resolve(__dirname, '../../../src/serialization/index.ts'),
        SOURCES: JSON.stringify(sources),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    // stderr is part of the comparison so that a crash shows V8's report.
    expect({ status: child.status, signal: child.signal, stderr: child.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(child.stdout)).toEqual({ NestingTooDeepError: 30 });
  });
});
