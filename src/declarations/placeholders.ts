// `${name}`-style placeholders, resolved after merging and defaults.
// `$${` writes a literal `${`. Unknown names and cycles are errors at the value
// that uses them.
import type { Diagnostic, Origin } from '../model.js';
import { closest } from './suggest.js';

export interface Variable {
  value: unknown;
  /** Dotted path of the variable's own value, for resolving placeholders inside it. */
  path: string;
}

/** Placeholders whose values use placeholders, at most this deep (each level is a recursion). */
const MAX_CHAIN = 32;

const PLACEHOLDER = /\$\$\{|\$\{([^}]*)\}?/g;

export class PlaceholderResolver {
  private readonly memo = new Map<string, string | undefined>();
  private readonly stack: string[] = [];

  constructor(
    private readonly variables: ReadonlyMap<string, Variable>,
    private readonly originOf: (path: string) => Origin,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /** The string with every placeholder replaced, or undefined after an error. */
  resolve(text: string, path: string): string | undefined {
    let failed = false;
    const out = text.replace(PLACEHOLDER, (match: string, name: string | undefined) => {
      if (match === '$${') return '${';
      if (!match.endsWith('}')) {
        this.report(path, `unterminated placeholder \`${match}\``, 'close it with `}`, or write `$${` for a literal `${`');
        failed = true;
        return match;
      }
      // Ends with `}`: the `${...}` alternative matched, so its group did.
      const value = this.variable(name!, path);
      if (value === undefined) failed = true;
      return value ?? match;
    });
    return failed ? undefined : out;
  }

  private variable(name: string, usedAt: string): string | undefined {
    if (this.memo.has(name)) return this.memo.get(name);
    const variable = this.variables.get(name);
    if (!variable) {
      const suggestion = closest(name, this.variables.keys());
      const known = [...this.variables.keys()].join(', ');
      this.report(usedAt, `unknown placeholder \`\${${name}}\``, suggestion ? `did you mean \`\${${suggestion}}\`?` : known ? `known: ${known}` : 'no placeholders are available here');
      return undefined;
    }
    if (this.stack.length >= MAX_CHAIN) {
      this.report(usedAt, `placeholders refer to each other more than ${MAX_CHAIN} deep (\`\${${this.stack[0]}}\` → …)`, 'resolve part of the chain by hand');
      return undefined;
    }
    if (this.stack.includes(name)) {
      this.report(usedAt, `placeholder cycle: ${[...this.stack.slice(this.stack.indexOf(name)), name].map((n) => `\${${n}}`).join(' → ')}`);
      return undefined;
    }
    this.stack.push(name);
    const value = this.stringify(name, variable, usedAt);
    this.stack.pop();
    this.memo.set(name, value);
    return value;
  }

  private stringify(name: string, variable: Variable, usedAt: string): string | undefined {
    const { value } = variable;
    if (typeof value === 'string') return this.resolve(value, variable.path);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (value === null || value === undefined) {
      this.report(usedAt, `placeholder \`\${${name}}\` is used but \`${name}\` is not set`);
      return undefined;
    }
    this.report(usedAt, `placeholder \`\${${name}}\` is a list or table and cannot be used inside a string`);
    return undefined;
  }

  private report(path: string, message: string, hint?: string): void {
    this.diagnostics.push({ ...this.originOf(path), message, ...(hint ? { hint } : {}) });
  }
}

/** Replaces placeholders in every string inside `value`; returns the new value (containers are copied). */
export function resolveDeep(value: unknown, path: string, resolver: PlaceholderResolver): unknown {
  if (typeof value === 'string') return resolver.resolve(value, path) ?? value;
  if (Array.isArray(value)) return value.map((item, i) => resolveDeep(item, `${path}.${i}`, resolver));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines every key as an own property, `__proto__` too (an assignment would set the prototype).
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(v, path ? `${path}.${k}` : k, resolver)]));
  }
  return value;
}
