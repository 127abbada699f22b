// Declarations to model: parse, merge, validate, default, resolve placeholders,
// check formats and cross-service rules. Either a model or diagnostics, never a half model.
import type { Diagnostic, HostModel, Model, Origin, ServiceModel } from '../model.js';
import { crossServiceChecks } from './checks.js';
import { parseDeclaration } from './load.js';
import { mergeTrees } from './merge.js';
import { PlaceholderResolver, resolveDeep, type Variable } from './placeholders.js';
import { documentSchema, hostSchema, serviceSchema, type Field, type ObjectField } from './schema.js';
import { closest } from './suggest.js';
import { describeNode, type PMap, type PNode } from './tree.js';
import { optionFor, validateField, validateObject, type StructureContext } from './validate.js';
import { formatProblem } from './value-formats.js';
import { reservedName } from './reserved.js';
import { directiveProblem } from './unit-policy.js';

export interface DeclarationText {
  /** Display name, used in messages and in emitted headers. */
  file: string;
  text: string;
}

export interface ResolveResult {
  model: Model | null;
  diagnostics: Diagnostic[];
}


export function resolveDeclarations(texts: DeclarationText[]): ResolveResult {
  const diagnostics: Diagnostic[] = [];
  const roots: { file: string; root: PMap }[] = [];
  for (const { file, text } of texts) {
    const { root } = parseDeclaration(file, text, diagnostics);
    if (root === null) continue;
    if (root.kind !== 'map') {
      diagnostics.push({ ...root.at, message: `a declaration file must hold a table with \`host\` and/or \`services\`, not ${describeNode(root)}` });
      continue;
    }
    // `$schema` lets JSON files point editors at `atelier-emit schema`; it carries nothing else.
    root.entries.delete('$schema');
    roots.push({ file, root });
  }
  const merged = mergeTrees(roots.map((r) => r.root), diagnostics);
  const sources = texts.map((t) => t.file);
  if (diagnostics.length > 0) return fail(diagnostics);
  const rootMap: PMap = merged?.kind === 'map' ? merged : { kind: 'map', entries: new Map(), at: { file: sources[0] ?? '<none>', line: 1, column: 1 } };

  for (const [key, entry] of rootMap.entries) {
    if (!(key in documentSchema.fields)) {
      diagnostics.push({ ...entry.key, message: `unknown top-level key \`${key}\``, hint: hintFor(key, Object.keys(documentSchema.fields)) });
    }
  }
  const host = resolveHost(rootMap.entries.get('host')?.value, rootMap.at, diagnostics);
  const services = new Map<string, ServiceModel>();
  const disabled: string[] = [];
  const servicesNode = rootMap.entries.get('services')?.value;
  if (servicesNode && servicesNode.kind !== 'map') {
    diagnostics.push({ ...servicesNode.at, message: `\`services\` must be a table of services by name, not ${describeNode(servicesNode)}` });
  } else if (servicesNode && host) {
    const names = new Set(servicesNode.entries.keys());
    for (const [name, entry] of servicesNode.entries) {
      const files = roots.filter((r) => serviceDeclaredIn(r.root, name)).map((r) => r.file);
      const service = resolveService(name, entry.key, entry.value, files, host, names, diagnostics);
      // No model and no error means the service is not enabled (an error fails the whole run).
      if (service) services.set(name, service);
      else disabled.push(name);
    }
  }
  if (diagnostics.length > 0 || !host) return fail(diagnostics);
  // Names in code-unit order, as `<` compares them.
  const model: Model = { host, services: [...services.keys()].sort().map((name) => services.get(name)!), sources, disabled: disabled.sort() };
  crossServiceChecks(model, diagnostics);
  return diagnostics.length > 0 ? fail(diagnostics) : { model, diagnostics: [] };
}

function serviceDeclaredIn(root: PMap, name: string): boolean {
  const services = root.entries.get('services')?.value;
  return services?.kind === 'map' && services.entries.has(name);
}

function resolveHost(node: PNode | undefined, rootAt: Origin, diagnostics: Diagnostic[]): HostModel | null {
  if (node && node.kind !== 'map') {
    diagnostics.push({ ...node.at, message: `\`host\` must be a table of host settings, not ${describeNode(node)}` });
    return null;
  }
  const sysconfdirNode = node?.kind === 'map' ? node.entries.get('sysconfdir')?.value : undefined;
  const sysconfdir = sysconfdirNode?.kind === 'scalar' && typeof sysconfdirNode.value === 'string' ? sysconfdirNode.value : '/etc';
  const ctx: StructureContext = { diagnostics, origins: {}, defaults: { name: '', host: { sysconfdir } }, at: node?.at ?? rootAt };
  let value = validateField(hostSchema, node, '', ctx) as Record<string, unknown> | undefined;
  if (value === undefined) return null;
  // Formats are checked even after a structure error, so that every problem is reported at once.
  // Host strings have no service to take placeholders from; `$${` still writes a literal `${`.
  // The host's values not declared that hold text are made from sysconfdir (backup.repositoryFile, …): a placeholder
  // mistake in one is reported at sysconfdir, where it collapses into sysconfdir's own report of it.
  const resolver = new PlaceholderResolver(new Map(), (p) => ctx.origins[p] ?? ctx.origins.sysconfdir ?? ctx.at, diagnostics);
  value = resolveDeep(value, '', resolver) as Record<string, unknown>;
  checkFormats(hostSchema, value, '', (p, message) => {
    // A value not declared is a default; one is wrong only when computed from a wrong value
    // (`backup.repositoryFile` from `sysconfdir`), which has its own error: one mistake, one message.
    const at = ctx.origins[p];
    if (at) diagnostics.push({ ...at, message: `\`host.${p}\` ${message}` });
  });
  // Returned even when invalid, so that services are still checked; the caller discards the model on any diagnostic.
  return { ...(value as unknown as Omit<HostModel, 'origins'>), origins: ctx.origins };
}

function resolveService(name: string, keyAt: Origin, node: PNode, sources: string[], host: HostModel, names: ReadonlySet<string>, diagnostics: Diagnostic[]): ServiceModel | null {
  const before = diagnostics.length;
  checkName(name, keyAt, host, diagnostics);
  if (node.kind !== 'map') {
    diagnostics.push({ ...node.at, message: `service \`${name}\` must be a table of options, not ${describeNode(node)}` });
    return null;
  }
  const ctx: StructureContext = { diagnostics, origins: { '': keyAt }, defaults: { name, host: { sysconfdir: host.sysconfdir } }, at: keyAt };
  const schema = withExtraOptions(node, ctx);
  const value = validateObject(schema.field, node, '', ctx);

  const enabled = value.enable === true;
  const caddy = value.caddy as { enable: boolean };
  if (enabled && caddy?.enable && value.domain === null) {
    diagnostics.push({ ...keyAt, message: `service \`${name}\` is enabled with caddy.enable but has no \`domain\``, hint: 'set `domain`, or `caddy.enable: false`' });
  }
  if (value.runtime === 'custom' && value.startCommand === null) {
    // "custom" is not the default, so `runtime` was declared and has its origin.
    diagnostics.push({ ...ctx.origins.runtime!, message: `service \`${name}\` has runtime "custom" but no \`startCommand\`` });
  }

  const variables = new Map<string, Variable>([
    ['name', { value: name, path: '' }],
    ['port', { value: value.port, path: 'port' }],
    ['dataDir', { value: value.dataDir, path: 'dataDir' }],
    ['domain', { value: value.domain, path: 'domain' }],
    ['description', { value: value.description, path: 'description' }],
  ]);
  for (const option of schema.extraNames) variables.set(option, { value: value[option], path: option });
  // A value not declared is placed where it was made: an extra option's at its `default`, the name's
  // (description, dataDir) at the name.
  const originOf = (p: string): Origin => {
    const [option, ...rest] = p.split('.');
    return ctx.origins[p] ?? ctx.origins[['extraOptions', option, 'default', ...rest].join('.')] ?? keyAt;
  };
  const resolver = new PlaceholderResolver(variables, originOf, diagnostics);
  const resolved = resolveDeep(value, '', resolver) as Record<string, unknown>;
  const report = (p: string, message: string) => diagnostics.push({ ...originOf(p), message: `\`services.${name}.${p}\` ${message}` });
  checkFormats(schema.field, resolved, '', report);
  checkUnitOverrides(name, resolved, names, report);
  if (diagnostics.length > before || !enabled) return null;
  return toServiceModel(name, resolved, schema.extraTypes, sources, ctx.origins);
}

function checkName(name: string, at: Origin, host: HostModel, diagnostics: Diagnostic[]): void {
  const problem = formatProblem('user-name', name);
  if (problem) diagnostics.push({ ...at, message: `service name \`${name}\` ${problem}` });
  else if (reservedName(name)) {
    diagnostics.push({ ...at, message: `service name \`${name}\` is already used by the system or by atelier-emit's own units`, hint: 'it would be the name of the service user and group: a system group grants access to devices, keys or root; choose another name' });
  } else if (name === host.servicesGroup) {
    diagnostics.push({ ...at, message: `service name \`${name}\` is the name of the services group`, hint: 'rename the service or set host.servicesGroup' });
  }
}

const EXTRA_FIELDS: Record<string, Field> = {
  port: { kind: 'int', min: 1, max: 65535, nullable: true, description: 'a port' },
  int: { kind: 'int', nullable: true, description: 'an integer' },
  string: { kind: 'string', nullable: true, description: 'a string' },
  bool: { kind: 'bool', description: 'a boolean' },
  list: { kind: 'list', items: { kind: 'string', coerce: true, description: 'an item' }, description: 'a list' },
  table: { kind: 'record', values: { kind: 'string', coerce: true, description: 'a value' }, description: 'a table' },
};

/** The service schema plus this service's extra options, each typed and defaulted as declared. */
function withExtraOptions(node: PMap, ctx: StructureContext): { field: ObjectField; extraNames: string[]; extraTypes: Record<string, { type: string; description: string }> } {
  const optionsNode = node.entries.get('extraOptions')?.value;
  const fields: Record<string, Field> = { ...serviceSchema.fields };
  const extraNames: string[] = [];
  const extraTypes: Record<string, { type: string; description: string }> = {};
  if (optionsNode?.kind !== 'map') return { field: serviceSchema, extraNames, extraTypes };
  for (const [option, entry] of optionsNode.entries) {
    const def = entry.value;
    if (def.kind !== 'map') continue; // reported by the structure pass
    const typeNode = def.entries.get('type')?.value;
    const type = typeNode?.kind === 'scalar' && typeof typeNode.value === 'string' ? typeNode.value : undefined;
    const base = type ? EXTRA_FIELDS[type] : undefined;
    if (!base) continue; // reported by the structure pass
    if (option in serviceSchema.fields) {
      ctx.diagnostics.push({ ...entry.key, message: `extra option \`${option}\` has the name of a core option`, hint: 'choose another name' });
      continue;
    }
    const defaultNode = def.entries.get('default')?.value;
    // A default that is not of the type has its own error; the option then falls back as if none were given.
    const given = defaultNode ? validateField(base, defaultNode, `extraOptions.${option}.default`, { ...ctx, origins: {} }) : undefined;
    const defaultValue = given ?? (base.kind === 'bool' ? false : null);
    const descriptionNode = def.entries.get('description')?.value;
    const description = descriptionNode?.kind === 'scalar' && typeof descriptionNode.value === 'string' ? descriptionNode.value : '';
    fields[option] = { ...base, default: defaultValue as never, description } as Field;
    extraNames.push(option);
    extraTypes[option] = { type: type!, description };
  }
  extraNames.sort();
  return { field: { ...serviceSchema, fields }, extraNames, extraTypes };
}

/** extraConfig.systemd, directive by directive: see unit-policy.ts. */
function checkUnitOverrides(name: string, v: Record<string, unknown>, names: ReadonlySet<string>, report: (path: string, message: string) => void): void {
  const systemd = (v.extraConfig as { systemd?: Record<string, Record<string, unknown> | undefined> } | undefined)?.systemd ?? {};
  for (const [section, directives] of Object.entries(systemd)) {
    for (const [directive, values] of Object.entries(directives ?? {})) {
      if (!Array.isArray(values)) continue;
      // The name alone: an empty list removes the generated directive (`User: []` would leave the unit running as root).
      const named = directiveProblem(section, directive, '', names);
      if (named?.includes('is not among')) {
        report(`extraConfig.systemd.${section}.${directive}`, named);
        continue;
      }
      values.forEach((value, i) => {
        const problem = typeof value === 'string' ? directiveProblem(section, directive, value, names, { name, dataDir: v.dataDir as string }) : null;
        if (problem) report(`extraConfig.systemd.${section}.${directive}.${i}`, problem);
      });
    }
  }
}

/** Walks a resolved value with its schema and reports strings not of their format. */
export function checkFormats(field: Field, value: unknown, path: string, report: (path: string, message: string) => void): void {
  const child = (key: string) => (path ? `${path}.${key}` : key);
  if (field.kind === 'string' && typeof value === 'string') {
    const problem = formatProblem(field.format, value);
    if (problem) report(path, problem);
  } else if (field.kind === 'list' && Array.isArray(value)) {
    value.forEach((item, i) => checkFormats(field.items, item, child(String(i)), report));
  } else if (field.kind === 'record' && value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      const problem = field.keyFormat ? formatProblem(field.keyFormat, key) : null;
      if (problem) report(child(key), `key ${problem}`);
      checkFormats(field.values, v, child(key), report);
    }
  } else if (field.kind === 'object' && value && typeof value === 'object') {
    for (const [key, f] of Object.entries(field.fields)) checkFormats(f, (value as Record<string, unknown>)[key], child(key), report);
  } else if (field.kind === 'oneOf' && value !== undefined && value !== null) {
    const option = optionFor(field, Array.isArray(value) ? 'list' : typeof value === 'object' ? 'map' : 'scalar');
    if (option) checkFormats(option, value, path, report);
  }
}

function toServiceModel(
  name: string,
  v: Record<string, unknown>,
  extraTypes: Record<string, { type: string; description: string }>,
  sources: string[],
  origins: Record<string, Origin>,
): ServiceModel {
  const extraOptions: ServiceModel['extraOptions'] = {};
  const extraPorts: ServiceModel['extraPorts'] = [];
  for (const option of Object.keys(extraTypes).sort()) {
    const { type, description } = extraTypes[option];
    extraOptions[option] = { type: type as ServiceModel['extraOptions'][string]['type'], description, value: v[option] };
    if (type === 'port' && typeof v[option] === 'number') extraPorts.push({ option, port: v[option] as number });
  }
  const extraConfig = v.extraConfig as { systemd: ServiceModel['extraConfig']['systemd']; preStart: string[] };
  const environment = v.environment as Record<string, string>;
  return {
    name,
    description: v.description as string,
    runtime: v.runtime as ServiceModel['runtime'],
    entryPoint: v.entryPoint as string,
    startCommand: v.startCommand as string | null,
    port: v.port as number,
    extraPorts,
    extraOptions,
    domain: v.domain as string | null,
    dataDir: v.dataDir as string,
    secretsFile: v.secretsFile as string | null,
    repository: v.repository as string | null,
    repositoryRef: v.repositoryRef as string | null,
    healthUrl: v.healthUrl as string | null,
    environment: Object.fromEntries(Object.keys(environment).sort().map((k) => [k, environment[k]])),
    data: v.data as ServiceModel['data'],
    caddy: v.caddy as ServiceModel['caddy'],
    extraConfig: { systemd: extraConfig.systemd, preStart: extraConfig.preStart },
    sources,
    origins,
  };
}

function hintFor(key: string, known: string[]): string {
  const suggestion = closest(key, known);
  return suggestion ? `did you mean \`${suggestion}\`?` : `known keys: ${known.join(', ')}`;
}

function fail(diagnostics: Diagnostic[]): ResolveResult {
  const seen = new Set<string>();
  const unique = diagnostics.filter((d) => {
    const id = `${d.file}\0${d.line}\0${d.column}\0${d.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return { model: null, diagnostics: unique };
}
