// The parts of waitHealthy that its scripted tests inject away: the real HTTP
// probe (a redirect is an answer, not followed), the real sleep between polls
// (no busy loop against systemctl), and the reading of `systemctl show` when
// its answer has blank lines before the first unit's block.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandRunner } from '../src/apply.js';
import { fetchProbe, waitHealthy } from '../src/health.js';

const servers: http.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const block = (id: string, active: string, sub: string) => `Id=${id}\nActiveState=${active}\nSubState=${sub}\nMainPID=42\nNRestarts=0\nExecMainStartTimestampMonotonic=1000`;

describe('the health probe', () => {
  it('takes a redirect as the answer (a login page is not health), and says 2xx as it is', async () => {
    const base = await serve((req, res) => {
      if (req.url === '/health') res.writeHead(302, { Location: '/login' }).end();
      else res.writeHead(200).end('login page');
    });
    expect(await fetchProbe(`${base}/health`)).toBe(302);
    expect(await fetchProbe(`${base}/login`)).toBe(200);
  });
});

describe('polling systemd', () => {
  it('without an injected sleep, waits between polls instead of asking systemctl in a loop', { timeout: 20_000 }, async () => {
    let shows = 0;
    const run: CommandRunner = async (argv) => {
      if (argv[1] === 'show') shows++;
      return { command: argv, code: 0, output: `${block('worker.service', 'active', 'running')}\n` };
    };
    // Settled after 1 s: the polls at 0, 0.5 and 1 s (fewer if the machine is slow), never more than one extra.
    expect(await waitHealthy([{ unit: 'worker.service', url: null }], run, { timeoutMs: 60_000, settleMs: 1000 })).toEqual([]);
    expect(shows).toBeGreaterThanOrEqual(2);
    expect(shows).toBeLessThanOrEqual(4);
  });

  it('blank lines before the first block are no unit: units asked for by another name are matched by position', async () => {
    // `web` and `db` are answered as web.service and db.service; a runner may put blank lines first.
    const run: CommandRunner = async (argv) => {
      if (argv[0] === 'journalctl') return { command: argv, code: 0, output: `journal of ${argv[2]}\n` };
      return { command: argv, code: 0, output: ` \n\n${block('web.service', 'failed', 'failed')}\n\n${block('db.service', 'active', 'running')}\n` };
    };
    let t = 0;
    const bad = await waitHealthy([{ unit: 'web', url: null }, { unit: 'db', url: null }], run, { timeoutMs: 10_000, settleMs: 0, now: () => t, sleep: async (ms) => void (t += ms) });
    expect(bad).toEqual([{ unit: 'web', why: 'is failed (failed)', journal: 'journal of web' }]);
  });
});
