import { Composer, Lexer, LineCounter, Parser, type CST, type Document, type YAMLError } from 'yaml';
import type { DocumentOptions, ParseOptions, SchemaOptions } from 'yaml';

/** The documents of a YAML stream, and what is needed to say where their problems are. */
export interface ParsedYaml {
  readonly documents: readonly Document.Parsed[];
  /** A problem's message with `at line L, column C` appended, as `parseAllDocuments` words it. */
  locate(problem: YAMLError): string;
}

/**
 * Besides one entry per open collection, the parser's stack holds the document and the node
 * being built (a scalar, or a collection that becomes a map key).
 */
const STACK_OVERHEAD = 2;

/**
 * yaml's `parseAllDocuments`, assembled from the library's public parts (Lexer → Parser →
 * Composer) so that nesting is bounded before anything recursive runs.
 *
 * The lexer is a flat state machine. The parser keeps the collections being built on an explicit
 * stack, but unwinds it recursively (a dedent closes every level at once), and the composer and
 * `toJS` recurse once per level: with thousands of levels V8 runs out of stack there and can
 * abort the process. So this watches the parser's stack after every token and calls `onTooDeep`
 * as soon as it holds more than `maxDepth` collections, before the composer sees anything.
 *
 * Why watch the parser rather than scan the text first: the bound is then exactly the parser's,
 * whatever the syntax (flow `[{`, indentation, compact `- - -` and `? `, but also forms a text
 * scan would have to re-derive from this parser, e.g. `a: : : 1` opens three maps at one column),
 * and the input is tokenized once, not twice. Quoted scalars, comments and block scalars are the
 * lexer's own tokens, so brackets inside them never count. Work stays linear: one bounded step
 * per token.
 *
 * What this bounds is the document's syntax. Aliases can still repeat an anchored subtree inside
 * another, so the decoded value must be checked too (see `yaml-serializer.ts`).
 */
export function parseYaml(
  text: string,
  options: ParseOptions & DocumentOptions & SchemaOptions,
  maxDepth: number,
  onTooDeep: () => never,
): ParsedYaml {
  const lineCounter = new LineCounter();
  const tokens = parseWithinDepth(text, lineCounter, maxDepth + STACK_OVERHEAD, onTooDeep);
  const documents = Array.from(new Composer(options).compose(tokens));
  return { documents, locate: (problem) => locate(problem, lineCounter) };
}

/** `Parser.parse()`, with the stack checked after each token. */
function* parseWithinDepth(text: string, lineCounter: LineCounter, maxStack: number, onTooDeep: () => never): Generator<CST.Token, void> {
  const parser = new Parser(lineCounter.addNewLine);
  lineCounter.addNewLine(0); // Parser.parse() does this before the first token
  for (const lexeme of new Lexer().lex(text)) {
    yield* parser.next(lexeme);
    if (parser.stack.length > maxStack) onTooDeep();
  }
  yield* parser.end();
}

/** What `parseAllDocuments` appends to messages (it also adds a source excerpt, not needed here). */
function locate(problem: YAMLError, lineCounter: LineCounter): string {
  if (problem.pos[0] === -1) return problem.message;
  const { line, col } = lineCounter.linePos(problem.pos[0]);
  return `${problem.message} at line ${line}, column ${col}`;
}
