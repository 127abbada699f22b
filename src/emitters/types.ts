import type { Diagnostic, Model } from '../model.js';

/** One file an emitter wants under --out. Files are values: nothing touches the disk here. */
export interface EmittedFile {
  /** Relative to --out, with forward slashes, e.g. `systemd/system/myapp.service`. */
  path: string;
  /** Unix permission bits, e.g. 0o644; sudoers files are 0o440. */
  mode: number;
  content: string;
  /** The service the file belongs to; absent for host-wide files. */
  service?: string;
}

export interface EmitResult {
  files: EmittedFile[];
  /** Values this format cannot carry safely, at their declaration positions. Any diagnostic means nothing is written. */
  diagnostics: Diagnostic[];
}

export type EmitterName = 'systemd' | 'caddy' | 'backup' | 'manifest';

/** An emitted file with the emitter that made it: what the planner compares with the disk. */
export interface DesiredFile extends EmittedFile {
  emitter: EmitterName;
}

export interface Emitter {
  name: EmitterName;
  /** Pure: reads only the model. */
  emit(model: Model): EmitResult;
}
