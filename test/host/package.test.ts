import { afterAll, beforeAll, expect, it } from 'vitest';
import { BootedHost } from './container.js';
let host: BootedHost;
beforeAll(async () => { host = await BootedHost.boot('atelier-pkg', (l) => console.log(l)); }, 1_800_000);
afterAll(async () => { await host?.shutdown(); });
it('has Debian node', async () => {
  console.log(await host.run('node --version; dpkg -S /usr/bin/node; npm --version; python3 --version'));
  expect(true).toBe(true);
});
