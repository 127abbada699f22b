// `atelier-emit backups` against a real restic repository: the listing asks
// restic itself for each snapshot's restore size, so the arguments it passes
// must be ones restic reads (a wrong one shows as `?`, not as a failure).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnRunner } from '../src/apply.js';
import { SNAPSHOT_HOST } from '../src/emitters/backup/layout.js';
import { listBackups } from '../src/restore/snapshots.js';
import { tempDirs } from './support/emit.js';
import { makeHost, makeModel, makeService } from './support/model-builders.js';
import { missingProgram, requirement, titled } from './support/oracles.js';

const temp = tempDirs();
const resticHere = requirement(missingProgram('restic', 'restic'));

describe.skipIf(resticHere.skip !== null)(titled('the snapshot listing, from a real restic repository', resticHere), () => {
  beforeAll(resticHere.assert);

  it("shows each snapshot's restore size as restic computes it, and no other service's", async () => {
    const root = temp('listing');
    const repository = path.join(root, 'repo');
    fs.writeFileSync(path.join(root, 'repository'), `${repository}\n`);
    fs.writeFileSync(path.join(root, 'password'), 'secret\n');
    const env = { ...process.env, RESTIC_REPOSITORY: repository, RESTIC_PASSWORD: 'secret', RESTIC_CACHE_DIR: path.join(root, 'cache') };
    execFileSync('restic', ['init', '-q'], { env });
    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    // 3 MiB of bytes that do not compress away: restore size counts file bytes, not stored bytes.
    fs.writeFileSync(path.join(data, 'app.db'), Buffer.alloc(3 * 1024 * 1024, 7));
    execFileSync('restic', ['backup', '-q', '--host', SNAPSHOT_HOST, '--tag', 'service:app', data], { env });
    execFileSync('restic', ['backup', '-q', '--host', SNAPSHOT_HOST, '--tag', 'service:other', data], { env });

    const host = makeHost();
    const model = makeModel(
      [makeService('app', { data: { ...makeService('app').data, sqlite: '/var/lib/app/data/app.db' } })],
      { ...host, backup: { ...host.backup, repositoryFile: path.join(root, 'repository'), passwordFile: path.join(root, 'password') } },
    );
    let text = '';
    const ok = await listBackups({ model, service: 'app', run: spawnRunner, now: new Date(), say: (t) => (text += t) });
    expect(ok, text).toBe(true);
    expect(text).toMatch(/^app: 1 snapshot\n {2}[0-9a-f]{8} {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ s ago +3\.0 MiB\n$/);
  });
});
