// POSIX shell quoting, for the few values that must appear inside emitted
// scripts. Emitted scripts prefer positional parameters ("$1") to quoting.

/** A single-quoted shell word that the shell reads back as exactly `s`. */
export function shellQuote(s: string): string {
  if (s.includes('\u0000')) throw new Error('a NUL character cannot be passed to a shell');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
