// src/formats/unit-file.ts at its edges: which sections and comments a unit
// file gets, the longest value systemd reads on one line, and the values each
// escaper refuses, with the reason it gives (the reason reaches the user as
// the diagnostic at the value's declaration).
import { describe, expect, it } from 'vitest';
import { UnsafeValueError } from '../../src/formats/errors.js';
import { COMMENT, escapeEnvironment, escapeExec, escapeText, escapeWord, LONG_LINE_MAX, renderUnit } from '../../src/formats/unit-file.js';

/** The UnsafeValueError message `f` throws, or null. */
function refusal(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(UnsafeValueError);
    return (err as Error).message;
  }
}

describe('renderUnit', () => {
  it('leaves out a section with no directives, header and all', () => {
    const text = renderUnit('# header\n', [
      { name: 'Unit', directives: [] },
      { name: 'Service', directives: [['Type', 'simple']] },
      { name: 'Install', directives: [] },
    ]);
    expect(text).toBe('# header\n[Service]\nType=simple\n');
  });

  it('writes a comment directive as a `# ` line, not as a key', () => {
    const text = renderUnit('', [{ name: 'Service', directives: [[COMMENT, 'MemoryDenyWriteExecute is off: the JIT needs it'], ['MemoryDenyWriteExecute', 'no']] }]);
    expect(text).toBe('[Service]\n# MemoryDenyWriteExecute is off: the JIT needs it\nMemoryDenyWriteExecute=no\n');
  });
});

describe('the longest value on one unit line', () => {
  const max = LONG_LINE_MAX - 64;

  it('a value of exactly the limit in bytes is written; one byte more is refused', () => {
    expect(escapeText('a'.repeat(max))).toHaveLength(max);
    expect(refusal(() => escapeText('a'.repeat(max + 1)))).toBe(`this value is longer than systemd reads on one unit line (${max} bytes)`);
  });

  it('counts bytes, not characters: ASCII beyond a third of the limit is written, multi-byte text over it is refused', () => {
    expect(escapeText('a'.repeat(Math.ceil(max / 3) + 10))).toHaveLength(Math.ceil(max / 3) + 10);
    expect(refusal(() => escapeText('é'.repeat(max / 2 + 1)))).toMatch(/^this value is longer than systemd reads/);
  });
});

describe('escapeText refuses what systemd would read differently', () => {
  it('a control character', () => {
    expect(refusal(() => escapeText('a\nb'))).toBe('this value must not contain a newline or other control character');
  });

  it('white space at either end', () => {
    expect(refusal(() => escapeText(' /etc/x'))).toBe('this value must not begin or end with white space (systemd strips it)');
  });

  it('a backslash at the end', () => {
    expect(refusal(() => escapeText('C:\\'))).toBe('this value must not end with a backslash (systemd reads it as a line continuation)');
  });
});

describe('escapeWord', () => {
  it('refuses a NUL character, which no quoting can carry', () => {
    expect(refusal(() => escapeWord('a\u0000b'))).toBe('a NUL character cannot be written');
    expect(escapeWord('a\u0001b')).toBe('"a\\x01b"');
  });
});

describe('escapeExec', () => {
  it('refuses an empty command line and an empty program name', () => {
    expect(refusal(() => escapeExec([]))).toBe('a command line needs a program');
    expect(refusal(() => escapeExec(['', 'arg']))).toBe('the program name is empty');
  });

  it('refuses a NUL character in any word', () => {
    expect(refusal(() => escapeExec(['/bin/echo', 'a\u0000b']))).toBe('a NUL character cannot be written');
  });

  it('takes only systemd prefix characters as a prefix; anything else is a programming error, not a user refusal', () => {
    expect(escapeExec(['/bin/true'], '-+')).toBe('-+/bin/true');
    for (const prefix of ['x', 'x-', '-x', '|', ' ']) {
      expect(() => escapeExec(['/bin/true'], prefix), JSON.stringify(prefix)).toThrow(`internal error: bad Exec prefix ${prefix}`);
      expect(() => escapeExec(['/bin/true'], prefix)).not.toThrow(UnsafeValueError);
    }
  });

  it('writes a lone `;` argument as `\\;`, as systemd.service(5) documents (find -exec … \\;)', () => {
    expect(escapeExec(['/usr/bin/find', '/tmp', '-exec', 'rm', '{}', ';'])).toBe('/usr/bin/find /tmp -exec rm {} \\;');
  });
});

describe('escapeEnvironment', () => {
  it('refuses a name that is not an environment variable name, from its first character to its last', () => {
    for (const name of ['1A', 'A-1', 'A B', '']) {
      expect(refusal(() => escapeEnvironment(name, 'x'))).toBe(`${JSON.stringify(name)} is not a valid environment variable name`);
    }
    expect(escapeEnvironment('_A1', 'x')).toBe('"_A1=x"');
  });

  it('refuses a NUL character in the value', () => {
    expect(refusal(() => escapeEnvironment('A', 'x\u0000y'))).toBe('an environment value cannot hold a NUL character');
  });
});
