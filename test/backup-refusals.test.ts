// Values restic or the backup lists cannot carry: each becomes a diagnostic at
// its declaration, and whatever the emitter writes keeps one value a line.
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupEmitter } from '../src/emitters/backup/index.js';
import type { ServiceModel } from '../src/model.js';
import { content, dataService } from './support/backup.js';
import { makeHost, makeModel } from './support/model-builders.js';

describe('values restic or the lists cannot carry become diagnostics', () => {
  const refuse = (service: ServiceModel) => {
    const result = backupEmitter.emit(makeModel([service]));
    expect(result.files).toEqual([]);
    return result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.message}`);
  };

  it.each([
    ['a newline in a declared path', { files: ['/srv/a\nb'] }, 'app.yaml:10:7 `services.app.data.files.0` must be an absolute path without control characters'],
    ['a carriage return in the SQLite path', { sqlite: '/srv/app.db\r' }, 'app.yaml:3:7 `services.app.data.sqlite` must be the absolute path of a file'],
    ['a relative path', { files: ['srv/a'] }, 'app.yaml:10:7 `services.app.data.files.0` must be an absolute path'],
    ['a newline in an exclude', { files: ['/srv/a'], exclude: ['*.log\n/etc'] }, 'app.yaml:30:7 `services.app.data.exclude.0` must be one line'],
    ['an empty exclude', { files: ['/srv/a'], exclude: ['  '] }, 'app.yaml:30:7 `services.app.data.exclude.0` must not be empty'],
    ['a malformed pattern', { files: ['/srv/a'], exclude: ['[a-'] }, 'app.yaml:30:7 `services.app.data.exclude.0` is not a valid restic pattern'],
    ['a database name pg_dump would read as a connection string', { postgres: 'host=evil dbname=x' }, 'app.yaml:4:7 `services.app.data.postgres` must be a plain database name'],
    ['an exclude that swallows the SQLite copy', { sqlite: '/var/lib/app/data/app.db', exclude: ['*.db'] }, 'app.yaml:30:7 `services.app.data.exclude.0` excludes the sqlite copy /run/atelier-backup-app/sqlite/app.db'],
    ['an exclude that swallows the dump', { postgres: 'app', exclude: ['postgres'] }, 'app.yaml:30:7 `services.app.data.exclude.0` excludes the postgres copy'],
    ['a default exclude above a declared path', { files: ['/var/cache/app/uploads'] }, 'app.yaml:33:7 `services.app.data.exclude.3` excludes /var/cache/app/uploads'],
    ['the live database declared as a file', { sqlite: '/srv/app.db', files: ['/srv/app.db'] }, 'app.yaml:10:7 `services.app.data.files.0` is the live SQLite database'],
    ['a unit name systemctl would read as an option', { sqlite: '/srv/app.db', stopUnits: ['--all'] }, '`services.app.data.stopUnits.0` must be a unit name'],
    ['stopUnits without a SQLite copy to stop them around', { files: ['/srv/a'], stopUnits: ['worker.service'] }, '`services.app.data.stopUnits` needs data.sqlite'],
  ] as [string, Partial<ServiceModel['data']>, string][])('%s', (_, data, expected) => {
    const messages = refuse(dataService('app', data));
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(expected);
  });

  it('a control character in a host path is reported at the host value', () => {
    const host = makeHost({ sysconfdir: '/etc\nx', origins: { sysconfdir: { file: 'host.yaml', line: 3, column: 15 } } });
    const result = backupEmitter.emit(makeModel([dataService('app', { files: ['/srv/a'] })], host));
    expect(result.files).toEqual([]);
    expect(result.diagnostics).toEqual([expect.objectContaining({ file: 'host.yaml', line: 3, column: 15, message: expect.stringContaining('host.sysconfdir') })]);
  });

  it('never throws, and whatever it writes keeps one value a line (most cases emitted, a minimum asserted)', () => {
    const hostile = fc.string({ unit: fc.constantFrom('/', 'a', ' ', '\t', '\n', '\r', '$', '#', '!', '*', '[', ']', '\\', '%', "'", '"', 'é', '\u0000', '\u007f'), maxLength: 12 });
    // Mostly what the emitter accepts (printable, no line breaks), so most cases reach the read-back below, not the refusal.
    const printable = fc.string({ unit: fc.constantFrom('a', 'b', '0', ' ', '$', '#', '!', '*', '[', ']', '\\', '%', "'", '"', 'é', '-', '.'), minLength: 1, maxLength: 12 });
    const text = fc.oneof({ arbitrary: printable, weight: 4 }, { arbitrary: hostile, weight: 1 });
    const runs = 500;
    let emitted = 0;
    fc.assert(
      fc.property(fc.array(text.map((t) => `/${t}`), { minLength: 1, maxLength: 3 }), fc.array(fc.oneof({ arbitrary: fc.constantFrom('*.log', 'cache', 'a b', '[x]'), weight: 3 }, { arbitrary: text, weight: 1 }), { maxLength: 3 }), fc.option(text.map((t) => `/d/${t}`)), (files, exclude, sqlite) => {
        const result = backupEmitter.emit(makeModel([dataService('app', { files, exclude, sqlite })]));
        if (result.diagnostics.length > 0) {
          expect(result.files).toEqual([]);
          return;
        }
        const lines = content(result.files.map((f) => ({ ...f, emitter: 'backup' as const })), 'atelier/backup/app.files').split('\n');
        const expected = [...(sqlite ? [`/run/atelier-backup-app/sqlite/${path.posix.basename(sqlite)}`, path.posix.dirname(sqlite)] : []), ...files];
        expect(lines.slice(1, -1)).toEqual([...new Set(expected)]);
        emitted++;
      }),
      { numRuns: runs },
    );
    console.log(`backup list property: ${emitted} of ${runs} cases emitted and read back`);
    expect(emitted).toBeGreaterThanOrEqual(runs * 0.3);
  });
});
