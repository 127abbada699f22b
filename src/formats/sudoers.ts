// sudoers(5) rules. In a command, white space and `\ , : =` must be escaped with
// a backslash; a user name of ours is a plain Linux name.
import { UnsafeValueError } from './errors.js';

function escapeCommandWord(word: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(word)) throw new UnsafeValueError('a sudoers command must be one line');
  return word.replace(/[\\,:=\s"]/g, (c) => `\\${c}`);
}

/** `user ALL=(root) NOPASSWD: cmd1, cmd2`: each command exact, arguments included. */
export function nopasswdRule(user: string, commands: readonly (readonly string[])[]): string {
  if (!/^[a-z][a-z0-9-]*$/.test(user)) throw new UnsafeValueError(`${JSON.stringify(user)} is not a plain user name`);
  const list = commands.map((argv) => argv.map(escapeCommandWord).join(' ')).join(', ');
  return `${user} ALL=(root) NOPASSWD: ${list}`;
}
