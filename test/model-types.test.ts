// The model's types come from the schema (src/declarations/schema.ts): checked
// by the type checker (`tsc`, part of the test command), so a field that
// loses its type (becomes `unknown` or `any`) fails here.
import { describe, expectTypeOf, it } from 'vitest';
import type { DnsSetting, HostModel, RateLimitRoute, Runtime, ServiceModel, TlsMode } from '../src/model.js';

describe('the model types derived from the schema', () => {
  it('gives each service option its declared type', () => {
    expectTypeOf<Runtime>().toEqualTypeOf<'bun' | 'node' | 'custom'>();
    expectTypeOf<ServiceModel['port']>().toEqualTypeOf<number>();
    expectTypeOf<ServiceModel['startCommand']>().toEqualTypeOf<string | null>();
    expectTypeOf<ServiceModel['environment']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<ServiceModel['data']['files']>().toEqualTypeOf<string[]>();
    expectTypeOf<ServiceModel['data']['stopForBackup']>().toEqualTypeOf<boolean>();
    expectTypeOf<ServiceModel['caddy']['rateLimit']['events']>().toEqualTypeOf<number>();
    expectTypeOf<RateLimitRoute>().toEqualTypeOf<{ path: string; events: number; window: string }>();
    expectTypeOf<ServiceModel['extraConfig']['systemd']['Service']>().toEqualTypeOf<Record<string, string[]>>();
    expectTypeOf<ServiceModel['extraConfig']['preStart']>().toEqualTypeOf<string[]>();
  });

  it('keeps what resolution consumes out of the model', () => {
    expectTypeOf<ServiceModel>().not.toHaveProperty('enable');
    expectTypeOf<ServiceModel>().not.toHaveProperty('defaultPort');
  });

  it('gives each host setting its declared type', () => {
    expectTypeOf<TlsMode>().toEqualTypeOf<'dns' | 'internal' | 'acme'>();
    expectTypeOf<DnsSetting>().toEqualTypeOf<string | { env: string }>();
    expectTypeOf<HostModel['backup']['prune']['keepLast']>().toEqualTypeOf<number>();
    expectTypeOf<HostModel['caddy']['environmentFile']>().toEqualTypeOf<string | null>();
    expectTypeOf<HostModel['runtimes']>().toEqualTypeOf<{ bun: string; node: string }>();
  });
});
