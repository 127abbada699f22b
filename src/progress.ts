// Progress of a long run on a terminal: one line on stderr, redrawn in place and
// cleared at the end. The CLI creates it only when stderr is a terminal, so
// pipes, logs and Ansible never see it.

/** A phase has begun (no counts), or so many of its files are done. */
export interface ProgressEvent {
  phase: string;
  done?: number;
  total?: number;
}

export type ProgressSink = (event: ProgressEvent) => void;

/** How often counts may be redrawn: more often is flicker and wasted writes. */
const REDRAW_MS = 100;

export function terminalProgress(write: (text: string) => void, now: () => number = () => performance.now()): { report: ProgressSink; end: () => void } {
  let lastDraw = -Infinity;
  let shown = false;
  return {
    report({ phase, done, total }) {
      const t = now();
      const counting = done !== undefined && total !== undefined;
      // A phase start is always drawn (the phase may be long and cannot redraw itself); counts are throttled, the last one is not.
      if (counting && done < total && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      shown = true;
      write(`\r\x1b[2Katelier-emit: ${phase}${counting ? ` ${done.toLocaleString('en')}/${total.toLocaleString('en')} files` : '…'}`);
    },
    end() {
      if (shown) write('\r\x1b[2K');
      shown = false;
    },
  };
}

/** Calls `report` every `every` items and on the last one: cheap enough for loops over tens of thousands of files. */
export function counter(phase: string, total: number, report: ProgressSink | undefined, every = 250): (done: number) => void {
  if (!report) return () => undefined;
  return (done) => {
    if (done % every === 0 || done === total) report({ phase, done, total });
  };
}
