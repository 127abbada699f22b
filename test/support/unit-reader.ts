// A reader for what atelier-emit writes in unit files, following systemd's own
// rules (systemd.syntax(7)): sections, directives in order, quoted words with
// C escapes, `%%` specifiers and `$$` in command lines. Used as an oracle by the
// tests; itself checked against systemd on the booted host.

export interface ParsedUnit {
  sections: { name: string; directives: [string, string][] }[];
}

export function parseUnit(text: string): ParsedUnit {
  const sections: ParsedUnit['sections'] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1], directives: [] });
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || sections.length === 0) throw new Error(`not a directive: ${line}`);
    if (line.endsWith('\\')) throw new Error(`continuation line: ${line}`);
    sections[sections.length - 1].directives.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return { sections };
}

export function directives(unit: ParsedUnit, section: string, key: string): string[] {
  return unit.sections.filter((s) => s.name === section).flatMap((s) => s.directives.filter(([k]) => k === key).map(([, v]) => v));
}

/**
 * systemd's extract_first_word with UNQUOTE and CUNESCAPE, over a whole value.
 * `shellEscapes`: also `\$` and `\``, which `systemctl show` adds when it quotes for a shell.
 */
export function splitWords(value: string, options: { shellEscapes?: boolean } = {}): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && /\s/.test(value[i])) i++;
    if (i >= value.length) break;
    let word = '';
    let quote: string | null = null;
    for (; i < value.length; i++) {
      const ch = value[i];
      if (quote === null && /\s/.test(ch)) break;
      if (ch === '\\') {
        const [text, length] = unescapeAt(value, i + 1, options.shellEscapes === true);
        word += text;
        i += length;
        continue;
      }
      if (quote === null && (ch === '"' || ch === "'")) quote = ch;
      else if (ch === quote) quote = null;
      else word += ch;
    }
    if (quote !== null) throw new Error(`unterminated quote in ${value}`);
    words.push(word);
  }
  return words;
}

function unescapeAt(value: string, i: number, shellEscapes: boolean): [string, number] {
  const ch = value[i];
  if (shellEscapes && (ch === '$' || ch === '`')) return [ch, 1];
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", ' ': ' ', a: '\u0007', b: '\b', f: '\f', v: '\v', ';': ';' };
  if (ch in simple) return [simple[ch], 1];
  if (ch === 'x') return [String.fromCharCode(Number.parseInt(value.slice(i + 1, i + 3), 16)), 3];
  throw new Error(`unknown escape \\${ch} in ${value}`);
}

export function resolveSpecifiers(word: string): string {
  if (/%[^%]/.test(word.replace(/%%/g, ''))) throw new Error(`unexpected specifier in ${word}`);
  return word.replace(/%%/g, '%');
}

/** Environment= value → [name, value] pairs, as systemd reads them. */
export function readEnvironment(value: string): [string, string][] {
  return splitWords(value).map((word) => {
    const assignment = resolveSpecifiers(word);
    const eq = assignment.indexOf('=');
    return [assignment.slice(0, eq), assignment.slice(eq + 1)];
  });
}

/** An Exec*= value → prefix and argv, as systemd would run it (no environment expansion is left). */
export function readExec(value: string): { prefix: string; argv: string[] } {
  const prefix = /^[-@:+!]*/.exec(value)![0];
  const argv = splitWords(value.slice(prefix.length)).map((w) => {
    if (w.replace(/\$\$/g, '').includes('$')) throw new Error(`unescaped $ in ${w}`);
    return resolveSpecifiers(w).replace(/\$\$/g, '$');
  });
  return { prefix, argv };
}
