/** One fenced code block of a Markdown document. */
export interface FencedBlock {
  /** The first word of the info string: `ts`, `sh`, `text`, … (empty when there is none). */
  lang: string;
  /** The rest of the info string, e.g. `title="pnpm send"`. */
  meta: string;
  /** The lines between the fences, with the fence's own indentation removed. */
  body: string;
}

/**
 * The text under the heading `heading` (e.g. `## Tutorial (five minutes)`), up to the next heading
 * of the same or a higher level. Throws when the document has no such heading.
 */
export function section(markdown: string, heading: string): string {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) throw new Error(`No heading '${heading}' in the document.`);
  const level = heading.indexOf(' ');
  let inFence = false;
  let end = start + 1;
  for (; end < lines.length; end++) {
    const line = lines[end]!;
    if (/^\s*```/.test(line)) inFence = !inFence;
    else if (!inFence && /^#+ /.test(line) && line.indexOf(' ') <= level) break; // a `#` line in a block is a comment
  }
  return lines.slice(start, end).join('\n');
}

/** Every fenced (```) block of `markdown`, in document order. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { indent: string; lang: string; meta: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    const fence = /^(\s*)```(.*)$/.exec(line);
    if (!open) {
      if (!fence) continue;
      const info = fence[2]!.trim();
      const space = info.indexOf(' ');
      open = {
        indent: fence[1]!,
        lang: space < 0 ? info : info.slice(0, space),
        meta: space < 0 ? '' : info.slice(space + 1).trim(),
        lines: [],
      };
    } else if (fence && fence[2]!.trim() === '') {
      blocks.push({ lang: open.lang, meta: open.meta, body: open.lines.join('\n') });
      open = undefined;
    } else {
      open.lines.push(line.startsWith(open.indent) ? line.slice(open.indent.length) : line);
    }
  }
  return blocks;
}

/**
 * The first line of `expected` that `actual` lacks, or undefined when all are there. Lines must
 * appear whole and in order (other lines may come between); `…` stands for any text.
 */
export function firstMissingLine(expected: string, actual: string): string | undefined {
  const lines = actual.split('\n');
  let at = 0;
  for (const want of expected.split('\n')) {
    const pattern = new RegExp(`^${want.split('…').map(escapeRegExp).join('.*')}$`);
    const found = lines.findIndex((line, i) => i >= at && pattern.test(line));
    if (found < 0) return want;
    at = found + 1;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
