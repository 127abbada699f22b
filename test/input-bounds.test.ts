// Issue 12, "also broken": everything input controls is bounded and read for
// its meaning. Each case runs the CLI on the real file system and expects a
// positioned error (or the exact value), never a hang, a stack trace or a silent change.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree, runCli } from './support/cli.js';
import { tempDirs } from './support/emit.js';

const temp = tempDirs();
const ROOT = path.resolve(__dirname, '..');

function decl(name: string, text: string | Buffer): { dir: string; file: string } {
  const dir = temp('bounds');
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return { dir, file };
}

const APP = (extra = '') => `services:\n  app:\n    enable: true\n    domain: app.example.com\n${extra}`;

async function validate(file: string, ...more: string[]) {
  const started = Date.now();
  const result = await runCli(['validate', '--config', file, ...more.flatMap((m) => ['--config', m])], { cwd: path.dirname(file) });
  return { ...result, ms: Date.now() - started };
}

async function emit(file: string, out: string, ...extra: string[]) {
  return runCli(['--config', file, '--out', out, ...extra], { cwd: path.dirname(file) });
}

describe('bounded input', () => {
  it('a YAML alias bomb is refused at once, at its line', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    const { file } = decl('bomb.yaml', `${lines.join('\n')}\nservices: {}\n`);
    const r = await validate(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bomb\.yaml:\d+:\d+: error: aliases here expand to more than 100000 values/);
    expect(r.ms).toBeLessThan(5000);
  });

  it.each([
    ['deep.toml', `a = ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 'deep.toml:1:69'],
    ['deep.yaml', `a: ${'['.repeat(3000)}${']'.repeat(3000)}\n`, 'deep.yaml:1:68'],
    ['deep.json', `{"a": ${'['.repeat(3000)}${']'.repeat(3000)}}\n`, 'deep.json:1:70'],
  ])('%s: 3,000 nested lists are refused at the 65th', async (name, text, where) => {
    const r = await validate(decl(name, text).file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${where}: error: tables or lists are nested more than 64 deep here`);
  });

  it('a long chain of placeholders ends in a positioned error, not a stack trace', async () => {
    const options = Array.from({ length: 5000 }, (_, i) => `      o${i}:\n        type: string\n        default: "\${o${i + 1}}"`).join('\n');
    const { file } = decl('chain.yaml', APP(`    extraOptions:\n${options}\n      o5000:\n        type: string\n        default: end\n    environment:\n      X: \${o0}\n`));
    const r = await validate(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/chain\.yaml:\d+:\d+: error: placeholders refer to each other more than 32 deep/);
  });

  it.each([
    ['a FIFO', (dir: string) => execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]), 'fifo.yaml', 'is not a regular file (a FIFO)'],
    ['/dev/zero behind a symlink', (dir: string) => fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml')), 'zero.yaml', 'is not a regular file (a device)'],
    ['a 40 MB file', (dir: string) => (fs.writeFileSync(path.join(dir, 'big.yaml'), ''), fs.truncateSync(path.join(dir, 'big.yaml'), 40 * 1024 * 1024)), 'big.yaml', 'is 41943040 bytes, more than the 33554432 accepted'],
  ])('%s as a declaration is refused without reading it', async (_what, make, name, message) => {
    const dir = temp('special');
    make(dir);
    const r = await validate(path.join(dir, name));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${name}:1:1: error: cannot read: this ${message}`);
    expect(r.ms).toBeLessThan(5000);
  });

  it('Latin-1 bytes are refused at their line and column, not turned into U+FFFD', async () => {
    const { file } = decl('latin1.yaml', Buffer.concat([Buffer.from(APP('    description: caf')), Buffer.from([0xe9]), Buffer.from('\n')]));
    const r = await validate(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('latin1.yaml:5:21: error: this byte is not UTF-8');
  });
});

describe('no silent change of meaning', () => {
  it('--config f --config f reads the file once: a preStart runs once', async () => {
    const { file, dir } = decl('app.yaml', APP('    extraConfig:\n      preStart: echo once\n'));
    const out = path.join(dir, 'out');
    const r = await emit(file, out, '--config', file, '--config', dir);
    expect(r.code).toBe(0);
    // Wherever the first-start script lives (the unit or its own file), the line is there once.
    const tree = [...readTree(out).values()].join('\n');
    expect(tree.match(/echo once/g)).toHaveLength(1);
  });

  it('YAML numbers in environment values keep their text; TOML numbers must be quoted', async () => {
    const { file, dir } = decl('app.yaml', APP('    environment:\n      VERSION: 1.10\n      PIN: 01234\n      HEX: 0x1F\n      __proto__: kept\n'));
    const out = path.join(dir, 'out');
    expect((await emit(file, out)).code).toBe(0);
    const unit = fs.readFileSync(path.join(out, 'systemd/system/app.service'), 'utf8');
    expect(unit).toContain('Environment="VERSION=1.10"');
    expect(unit).toContain('Environment="PIN=01234"');
    expect(unit).toContain('Environment="HEX=0x1F"');
    expect(unit).toContain('Environment="__proto__=kept"');
    const toml = decl('app.toml', '[services.app]\nenable = true\ndomain = "app.example.com"\n[services.app.environment]\nVERSION = 1.10\n');
    const r = await validate(toml.file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('app.toml:5:11: error: `environment.VERSION` is a string: write this number in quotes');
  });

  it('a TOML integer beyond 64 bits is refused, not wrapped to a small port', async () => {
    const { file } = decl('app.toml', `[services.app]\nenable = true\ndomain = "app.example.com"\nport = 18446744073709551617\n`);
    const r = await validate(file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('app.toml:4:8: error: this integer is too large');
  });
});
