// The terminal progress line's throttle at its edges: the very first count is
// drawn, a count exactly 100 ms after the last drawing is drawn, one earlier is not.
import { describe, expect, it } from 'vitest';
import { terminalProgress } from '../src/progress.js';

describe('the progress throttle', () => {
  it('draws a first count at once, then counts at least 100 ms apart, and the last always', () => {
    let t = 5_000;
    const drawn: string[] = [];
    const p = terminalProgress((text) => drawn.push(text), () => t);
    p.report({ phase: 'writing', done: 1, total: 10 });
    t += 99;
    p.report({ phase: 'writing', done: 2, total: 10 });
    t += 1;
    p.report({ phase: 'writing', done: 3, total: 10 });
    t += 1;
    p.report({ phase: 'writing', done: 10, total: 10 });
    expect(drawn).toEqual(['\r\x1b[2Katelier-emit: writing 1/10 files', '\r\x1b[2Katelier-emit: writing 3/10 files', '\r\x1b[2Katelier-emit: writing 10/10 files']);
  });
});
