// How diagnostics read in a terminal: `file:line:column: error: message`, the
// line itself with a caret, and a hint.
import type { Diagnostic } from './model.js';

export function formatDiagnostics(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string {
  const sorted = [...diagnostics].sort((a, b) => (a.file === b.file ? a.line - b.line || a.column - b.column : a.file < b.file ? -1 : 1));
  const blocks = sorted.map((d) => {
    const lines = [`${d.file}:${d.line}:${d.column}: error: ${d.message}`];
    const source = texts.get(d.file)?.split('\n')[d.line - 1];
    if (source !== undefined && source.trim() !== '') {
      const gutter = String(d.line).padStart(4);
      lines.push(`${gutter} | ${source}`, `${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, d.column - 1))}^`);
    }
    if (d.hint) lines.push(`  hint: ${d.hint}`);
    return lines.join('\n');
  });
  const n = diagnostics.length;
  return `${blocks.join('\n\n')}\n\n${n} ${n === 1 ? 'error' : 'errors'}; nothing was written.\n`;
}
