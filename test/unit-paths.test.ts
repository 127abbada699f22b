// A data folder with a space in its name, read back by systemd-analyze verify
// (offline: it warns when a ReadWritePaths= word is not an absolute path) and by
// systemd's word splitting. What the running systemd holds: test/host/unit-reading.test.ts.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { emitTexts, tempDirs, writeFiles } from './support/emit.js';
import { directives, parseUnit, splitWords } from './support/unit-reader.js';

const temp = tempDirs();

describe('a data folder with a space, read by systemd offline', () => {
  const out = temp('unit-paths');
  const unitPath = path.join(out, 'systemd/system/spaced.service');
  let unit: ReturnType<typeof parseUnit>;
  // Emitted for every test, so that mutation testing credits it (docs/architecture.md).
  beforeEach(() => {
    const files = emitTexts([
      {
        file: 'spaced.yaml',
        text: `host:\n  sysconfdir: ${out}\nservices:\n  spaced:\n    runtime: custom\n    startCommand: sleep infinity\n    enable: true\n    dataDir: /srv/my data\n    caddy:\n      enable: false\n`,
      },
    ]);
    writeFiles(out, files);
    unit = parseUnit(files.find((f) => f.path === 'systemd/system/spaced.service')!.content);
  });

  it('ReadWritePaths= is one word, the folder', () => {
    expect(directives(unit, 'Service', 'ReadWritePaths').flatMap((v) => splitWords(v))).toEqual(['/srv/my data']);
  });

  it('systemd-analyze verify accepts the unit without a word of warning', () => {
    const r = spawnSync('systemd-analyze', ['verify', unitPath], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
