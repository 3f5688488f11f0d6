/** How commands print: plain text for people, one JSON document with --json. */
import * as fs from 'fs';

/** Write a JSON document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Render rows as an aligned text table with a header line. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write all of `bytes` to a host descriptor. A write may take only part of them (a pipe whose
 * reader is slow) or none with EAGAIN when the descriptor was made non-blocking by whoever shares
 * it; the guest's write must still deliver every byte, as a blocking write on Linux does, so this
 * waits and goes on. Other errors (EPIPE, ENOSPC…) are the caller's to turn into the guest's.
 */
export function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(fd, bytes, done, bytes.length - done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 2);
    }
  }
}
