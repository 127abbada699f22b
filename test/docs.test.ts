// The user's documents live in the repository: the declaration reference is
// generated from the schema and kept equal to it, and no document points
// outside the repository (a user of the package has nothing else).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { declarationReference, GENERATED_BEGIN, GENERATED_END } from '../src/declarations/reference.js';
import { hostSchema, serviceSchema, type ObjectField } from '../src/declarations/schema.js';

const ROOT = path.resolve(__dirname, '..');
const REFERENCE = path.join(ROOT, 'docs/declarations.md');

describe('docs/declarations.md', () => {
  it('holds exactly the reference generated from the schema (npm run docs:update refreshes it)', () => {
    const text = fs.readFileSync(REFERENCE, 'utf8');
    const start = text.indexOf(GENERATED_BEGIN);
    const end = text.indexOf(GENERATED_END);
    expect(start, 'the generated region is marked').toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const generated = declarationReference();
    if (process.env.UPDATE_GOLDEN) {
      fs.writeFileSync(REFERENCE, text.slice(0, start) + generated + text.slice(end + GENERATED_END.length));
      return;
    }
    expect(text.slice(start, end + GENERATED_END.length)).toBe(generated);
  });

  it('has a row for every key of the schema, services and host', () => {
    const generated = declarationReference();
    const keys = (object: ObjectField, prefix: string): string[] =>
      Object.entries(object.fields).flatMap(([name, field]) => {
        const key = prefix ? `${prefix}.${name}` : name;
        return field.kind === 'object' ? keys(field, key) : [key];
      });
    for (const key of [...keys(serviceSchema, ''), ...keys(hostSchema, '')]) expect(generated, key).toContain(`| \`${key}\` |`);
  });
});

describe('documents a user reads', () => {
  const documents = () => {
    const list = ['README.md', 'CHANGELOG.md'];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(rel);
        else if (entry.name.endsWith('.md')) list.push(rel);
      }
    };
    walk('docs');
    walk('examples');
    return list.filter((f) => fs.existsSync(path.join(ROOT, f)));
  };

  it('never send the reader outside the repository', () => {
    const outside: string[] = [];
    for (const doc of documents()) {
      const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
      if (/\.\.\/shared|shared\/spec|shared\/seed/.test(text)) outside.push(`${doc}: names the team's shared folder`);
      // Relative Markdown links must land on a file inside the repository. Code spans hold no links
      // (docs/mutation.md quotes regular expressions such as `[0-9]+(?:…)`).
      const prose = text.replace(/`[^`\n]*`/g, '``');
      for (const [, target] of prose.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/i.test(target)) continue;
        const resolved = path.resolve(ROOT, path.dirname(doc), target);
        if (!resolved.startsWith(ROOT + path.sep) || !fs.existsSync(resolved)) outside.push(`${doc}: link to ${target}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
