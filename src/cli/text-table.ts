// Plain-text tables for terminal output: column widths from content, cells may
// hold several lines (wrapped at word boundaries), no colours.

export interface TextTableOptions {
  /** Wrap cells of these columns (by index) at this many characters. */
  readonly wrap?: Record<number, number>;
  readonly indent?: string;
}

function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (const word of para.split(' ')) {
      if (line && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: TextTableOptions = {}): string {
  const indent = opts.indent ?? '';
  const cellLines = (r: readonly string[]) => r.map((c, i) => (opts.wrap?.[i] ? wrapText(c, opts.wrap[i]) : c.split('\n')));
  const body = rows.map(cellLines);
  const head = cellLines(headers);
  const widths = headers.map((_, i) => Math.max(...[head, ...body].map((r) => Math.max(...r[i].map((l) => l.length)))));
  const out: string[] = [];
  const emit = (r: string[][]) => {
    const height = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      out.push((indent + r.map((c, i) => (c[k] ?? '').padEnd(widths[i])).join('  ')).trimEnd());
    }
  };
  emit(head);
  out.push(indent + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) emit(r);
  return out.join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
}

/** Bytes become hex strings so JSON output stays readable and parseable. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}
