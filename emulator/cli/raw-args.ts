/** Command-line operands as the exact bytes the shell passed, for arguments that are not UTF-8. */
import * as fs from 'fs';

/**
 * `operands` (the last arguments of this process, as Node decoded them) with every one Node could
 * not decode replaced by its original bytes. Node reads its arguments as UTF-8 and turns invalid
 * bytes into U+FFFD; Linux keeps the originals in /proc/self/cmdline. When the two cannot be
 * matched up one to one, the decoded text is kept.
 */
export function rawOperands(operands: string[]): (string | Uint8Array)[] {
  if (!operands.some((s) => s.includes('\uFFFD'))) return operands;
  let cmdline: Buffer;
  try {
    cmdline = fs.readFileSync('/proc/self/cmdline');
  } catch {
    return operands;
  }
  const all: Buffer[] = [];
  for (let start = 0; start < cmdline.length;) {
    const end = cmdline.indexOf(0, start);
    all.push(cmdline.subarray(start, end < 0 ? cmdline.length : end));
    start = end < 0 ? cmdline.length : end + 1;
  }
  const tail = all.slice(all.length - operands.length);
  if (tail.length !== operands.length || tail.some((b, i) => b.toString('utf8') !== operands[i])) return operands;
  return operands.map((s, i) => (s.includes('\uFFFD') ? new Uint8Array(tail[i]) : s));
}
