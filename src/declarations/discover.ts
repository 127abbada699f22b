// Finding and reading declaration files: `--config` files and folders (a
// folder means its declaration files in name order), or the default file.
import * as path from 'node:path';
import type { Diagnostic } from '../model.js';
import { decodeUtf8, exists, InputFileError, readInputFile, type FsLike } from '../fs.js';

/** The largest declaration file read (a fleet of 10,000 services is about 3 MB). */
export const MAX_DECLARATION_BYTES = 32 * 1024 * 1024;
import { isDeclarationFile } from './load.js';
import type { DeclarationText } from './resolve.js';

export const DEFAULT_FILES = ['atelier.yaml', 'atelier.toml', 'atelier.json'];

export async function readDeclarations(fs: FsLike, cwd: string, configs: readonly string[], diagnostics: Diagnostic[]): Promise<DeclarationText[]> {
  const display = (p: string) => {
    const rel = path.relative(cwd, path.resolve(cwd, p));
    // path.relative gives '' for cwd itself and a path starting with `..` for one outside it.
    return rel === '' || rel.startsWith('..') ? path.resolve(cwd, p) : rel;
  };
  const files: string[] = [];
  if (configs.length === 0) {
    const found = [];
    for (const name of DEFAULT_FILES) if (exists(fs, path.join(cwd, name))) found.push(name);
    if (found.length === 0) {
      diagnostics.push({ file: DEFAULT_FILES[0], line: 1, column: 1, message: `no declarations: none of ${DEFAULT_FILES.join(', ')} exists here`, hint: 'pass --config FILE or FOLDER' });
    } else if (found.length > 1) {
      diagnostics.push({ file: found[1], line: 1, column: 1, message: `both ${found.join(' and ')} exist; which one is meant is unclear`, hint: 'pass --config to choose, or remove one' });
    } else {
      files.push(found[0]);
    }
  }
  for (const config of configs) {
    const full = path.resolve(cwd, config);
    try {
      const stat = fs.statSync(full);
      if (stat.isDirectory()) {
        const names = fs.readdirSync(full).map(String).filter(isDeclarationFile).sort();
        if (names.length === 0) diagnostics.push({ file: display(config), line: 1, column: 1, message: 'this folder holds no .yaml, .yml, .toml or .json file' });
        for (const name of names) files.push(path.join(config, name));
      } else {
        if (!isDeclarationFile(config)) {
          diagnostics.push({ file: display(config), line: 1, column: 1, message: 'a declaration file must end in .yaml, .yml, .toml or .json' });
          continue;
        }
        files.push(config);
      }
    } catch (err) {
      diagnostics.push({ file: display(config), line: 1, column: 1, message: `cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}` });
    }
  }
  const texts: DeclarationText[] = [];
  // One file given twice (`--config f --config f`, or a folder and a file in it) is read once:
  // merging it with itself would double every list (a preStart run twice).
  const seen = new Set<string>();
  for (const file of files) {
    try {
      const stat = fs.statSync(path.resolve(cwd, file));
      const identity = `${stat.dev}:${stat.ino}`;
      if (seen.has(identity)) continue;
      seen.add(identity);
      const decoded = decodeUtf8(readInputFile(fs, path.resolve(cwd, file), MAX_DECLARATION_BYTES));
      if ('line' in decoded) {
        diagnostics.push({ file: display(file), line: decoded.line, column: decoded.column, message: 'this byte is not UTF-8', hint: 'declarations are UTF-8 text; convert the file, e.g. iconv -f latin1 -t utf-8' });
        continue;
      }
      texts.push({ file: display(file), text: decoded.text.replace(/^\uFEFF/, '') });
    } catch (err) {
      const message = err instanceof InputFileError ? `cannot read: this ${err.message}` : `cannot read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`;
      diagnostics.push({ file: display(file), line: 1, column: 1, message, hint: 'a declaration is a regular UTF-8 text file' });
    }
  }
  return texts;
}
