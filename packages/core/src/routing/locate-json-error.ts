/**
 * Finds where a JSON text stops being valid JSON. Node's `JSON.parse` errors carry a position only
 * sometimes (the wording changes between V8 versions), and users need a line and column, so when
 * parsing fails this small strict scanner walks the text again to locate the first error.
 */

/** The first syntax error in a JSON text: 1-based line and column, and what was wrong. */
export interface JsonErrorLocation {
  line: number;
  column: number;
  message: string;
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Locates the first syntax error in `text`; `undefined` if the text is valid JSON. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let i = 0;
  const fail = (message: string): never => {
    throw new JsonSyntaxError(i, message);
  };
  const found = (): string => (i < text.length ? `'${text[i]}'` : 'the end of the file');
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };

  const string = (): void => {
    i++; // opening quote
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const escaped = text[i + 1] ?? '';
        if ('"\\/bfnrt'.includes(escaped) && escaped !== '') i += 2;
        else if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else fail(`invalid escape sequence in a string`);
      } else if (c < ' ') {
        fail('unescaped control character (such as a line break) in a string');
      } else {
        i++;
      }
    }
    fail('unterminated string');
  };

  const sequence = (close: '}' | ']', item: () => void): void => {
    i++; // opening bracket
    skipSpace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipSpace();
      if (text[i] === ',') i++;
      else if (text[i] === close) {
        i++;
        return;
      } else fail(`expected ',' or '${close}', found ${found()}`);
    }
  };

  const value = (): void => {
    skipSpace();
    const c = text[i];
    if (c === '{') {
      sequence('}', () => {
        skipSpace();
        if (text[i] !== '"') fail(`expected a double-quoted key, found ${found()}`);
        string();
        skipSpace();
        if (text[i] !== ':') fail(`expected ':' after the key, found ${found()}`);
        i++;
        value();
      });
      return;
    }
    if (c === '[') {
      sequence(']', value);
      return;
    }
    if (c === '"') {
      string();
      return;
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
    if (literal) {
      i += literal.length;
      return;
    }
    fail(`expected a value, found ${found()}`);
  };

  try {
    value();
    skipSpace();
    if (i < text.length) fail(`expected the end of the file after the value, found ${found()}`);
    return undefined;
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    return { line, column: before.length - before.lastIndexOf('\n'), message: err.message };
  }
}
