// @iarna/toml gives values without positions. This scan maps each key path
// (table headers, `key = value` lines, array-of-table indexes) to the line and
// column of its value, so TOML errors point where YAML and JSON errors do.
// Values nested inside inline arrays or tables fall back to their key's position.

export interface TextPosition {
  line: number;
  column: number;
}

/** Key paths joined by NUL, e.g. `services\0myapp\0port`. */
export function tomlPositions(text: string): Map<string, TextPosition> {
  const positions = new Map<string, TextPosition>();
  const arrayCounts = new Map<string, number>();
  let table: string[] = [];
  let skipUntil: string | null = null; // closing triple quote of a multi-line string
  let depth = 0; // bracket depth of a multi-line array or inline table
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (skipUntil !== null) {
      if (line.includes(skipUntil)) skipUntil = null;
      continue;
    }
    if (depth > 0) {
      depth += bracketBalance(line);
      continue;
    }
    const trimmed = line.trimStart();
    const indent = line.length - trimmed.length;
    // A blank line is no header and has no `=`: it is passed over below.
    if (trimmed.startsWith('#')) continue;
    const header = /^\[(\[)?\s*(.*?)\s*\]/.exec(trimmed);
    if (header) {
      const keys = splitKey(header[2]);
      if (header[1] === '[') {
        const id = keys.join('\u0000');
        const index = arrayCounts.get(id) ?? 0;
        arrayCounts.set(id, index + 1);
        table = [...keys, String(index)];
      } else {
        table = keys;
      }
      positions.set(table.join('\u0000'), { line: i + 1, column: indent + 1 });
      continue;
    }
    const eq = findAssignment(trimmed);
    if (eq < 0) continue;
    const keys = splitKey(trimmed.slice(0, eq));
    const afterEq = trimmed.slice(eq + 1);
    const valueOffset = eq + 1 + (afterEq.length - afterEq.trimStart().length);
    positions.set([...table, ...keys].join('\u0000'), { line: i + 1, column: indent + valueOffset + 1 });
    const value = afterEq.trimStart();
    for (const quote of ['"""', "'''"]) {
      if (value.startsWith(quote) && !value.includes(quote, 3)) skipUntil = quote;
    }
    if (skipUntil === null) depth = Math.max(0, bracketBalance(value));
  }
  return positions;
}

/** Splits a dotted key (`a."b.c".d`) into its parts. */
function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | null = null;
  for (const ch of key) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '.') {
      parts.push(current.trim());
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current.trim());
  return parts;
}

/** Index of the `=` of a `key = value` line, outside quoted key parts. */
function findAssignment(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '=') {
      return i;
    }
  }
  return -1;
}

/** Open minus closed brackets and braces, outside strings and comments. */
function bracketBalance(text: string): number {
  let balance = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\' && quote === '"') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '#') {
      break;
    } else if (ch === '[' || ch === '{') {
      balance++;
    } else if (ch === ']' || ch === '}') {
      balance--;
    }
  }
  return balance;
}
