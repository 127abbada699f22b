// Where a port clash is reported and how it names each user of the port: a
// port not set is placed where its default is declared (defaultPort, an extra
// option's default); one set is placed where it is set; an extra port option
// is named service.OPTION, in the message and in the list of ports in use.
// Also the reason a nested data directory is refused.
import { describe, expect, it } from 'vitest';
import { resolveDeclarations } from '../src/declarations/resolve.js';

const svc = (name: string, extra = '') => `  ${name}:\n    enable: true\n    runtime: node\n    domain: ${name}.example.com\n${extra}`;
function errors(text: string) {
  return resolveDeclarations([{ file: 'a.yaml', text }]).diagnostics.map((d) => ({ at: `${d.line}:${d.column}`, message: d.message, hint: d.hint }));
}
const metrics = (port: number) => `    extraOptions:\n      METRICS:\n        type: port\n        default: ${port}\n`;

describe('port clashes', () => {
  it('an extra port option left at its default clashes at that default, named service.OPTION', () => {
    expect(errors(`services:\n${svc('a', '    port: 9100\n')}${svc('b', metrics(9100))}`)).toEqual([
      { at: '14:18', message: 'port conflict: port 9100 is used by a (a.yaml:6:11), b.METRICS (a.yaml:14:18)', hint: 'ports in use: 3000 (b), 9100 (a, b.METRICS)' },
    ]);
  });

  it('an extra port option set in the service clashes where it is set, not at its default', () => {
    expect(errors(`services:\n${svc('a', '    port: 9100\n')}${svc('b', `${metrics(9200)}    METRICS: 9100\n`)}`)).toEqual([
      { at: '15:14', message: 'port conflict: port 9100 is used by a (a.yaml:6:11), b.METRICS (a.yaml:15:14)', hint: 'ports in use: 3000 (b), 9100 (a, b.METRICS)' },
    ]);
  });

  it('a port taken from defaultPort clashes at defaultPort', () => {
    expect(errors(`services:\n${svc('a', '    port: 3000\n')}${svc('b', '    defaultPort: 3000\n')}`)).toEqual([
      { at: '11:18', message: 'port conflict: port 3000 is used by a (a.yaml:6:11), b (a.yaml:11:18)', hint: 'ports in use: 3000 (a, b)' },
    ]);
  });

  it('no clash when each port is used once, extra ports included', () => {
    expect(errors(`services:\n${svc('a', '    port: 9100\n')}${svc('b', metrics(9101))}`)).toEqual([]);
  });
});

describe('nested data directories', () => {
  it('are refused with the reason', () => {
    expect(errors(`services:\n${svc('inner', '    port: 3001\n    dataDir: /srv/outer/deep/inner\n')}${svc('outer', '    port: 3002\n    dataDir: /srv/outer\n')}`)).toEqual([
      {
        at: '7:14',
        message: 'dataDir /srv/outer/deep/inner of inner is inside /srv/outer, the dataDir of outer',
        hint: 'each service needs its own directory tree: the owner of the outer one could read or replace the inner one',
      },
    ]);
  });
});
