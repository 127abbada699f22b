// The real process's streams as the CLI uses them: when the reader of stdout or stderr goes
// away (`| head`, `less` quit: EPIPE), output stops quietly and the run goes on; any other
// stream error still surfaces. `--config -` reads standard input whole, chunk after chunk.
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { processIo } from '../src/cli.js';

/** A stand-in for process.stdout/stderr: records what is written. */
class FakeStream extends EventEmitter {
  readonly written: string[] = [];
  isTTY = false;
  write(text: string): boolean {
    this.written.push(text);
    return true;
  }
}

const streamError = (code: string) => Object.assign(new Error(`write ${code}`), { code });

// processIo() reads process.stdout/stderr/stdin when it is called; swap them in only around that.
const saved = (['stdout', 'stderr', 'stdin'] as const).map((name) => [name, Object.getOwnPropertyDescriptor(process, name)!] as const);
afterEach(() => {
  for (const [name, descriptor] of saved) Object.defineProperty(process, name, descriptor);
});
function processIoWith(streams: { stdout: FakeStream; stderr: FakeStream }) {
  for (const [name, stream] of Object.entries(streams)) Object.defineProperty(process, name, { value: stream, configurable: true, writable: true });
  const io = processIo();
  for (const [name, descriptor] of saved) Object.defineProperty(process, name, descriptor);
  return io;
}

describe('the process streams', () => {
  it('writes to stdout and stderr until their reader goes away (EPIPE), then drops the output without an error', () => {
    const stdout = new FakeStream();
    const stderr = new FakeStream();
    const io = processIoWith({ stdout, stderr });
    io.stdout('3 files: 3 create\n');
    io.stderr('ran: systemctl daemon-reload\n');
    expect(() => stdout.emit('error', streamError('EPIPE'))).not.toThrow();
    io.stdout('  create systemd/system/web.service\n');
    io.stderr('still going\n');
    expect(stdout.written).toEqual(['3 files: 3 create\n']);
    expect(stderr.written).toEqual(['ran: systemctl daemon-reload\n', 'still going\n']);
    expect(() => stderr.emit('error', streamError('EPIPE'))).not.toThrow();
    io.stderr('after the pager quit\n');
    expect(stderr.written).toEqual(['ran: systemctl daemon-reload\n', 'still going\n']);
  });

  it('lets any other stream error through, and keeps writing', () => {
    const stdout = new FakeStream();
    const io = processIoWith({ stdout, stderr: new FakeStream() });
    expect(() => stdout.emit('error', streamError('EACCES'))).toThrow('write EACCES');
    io.stdout('next line\n');
    expect(stdout.written).toEqual(['next line\n']);
  });

  it('reads standard input whole, every chunk in order', async () => {
    // stdin is looked up when it is read: it stays swapped until afterEach.
    const readWith = (stdin: Readable) => {
      Object.defineProperty(process, 'stdin', { value: stdin, configurable: true, writable: true });
      return processIo().stdin!();
    };
    expect(await readWith(Readable.from(['services:\n', '  web:\n', '    runtime: node\n']))).toBe('services:\n  web:\n    runtime: node\n');
    expect(await readWith(Readable.from([]))).toBe('');
  });
});
