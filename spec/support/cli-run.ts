/** The clonecloud command run as a user runs it, with its guest output and its JSON summary (the last stderr line). */
import { spawn, spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

/** A finished run: exit status, stdout, stderr lines and the `--json` summary when the last line is one. */
export interface CliRun {
  status: number | null;
  stdout: Buffer;
  lines: string[];
  summary?: {
    exitStatus: number;
    instructions: number;
    modelledSeconds: number;
    energyJoules: number;
    memoryHash: string;
    clone?: {
      syncs: number;
      fileSyncs: number;
      failed: number;
      meanStalenessSeconds: number;
      meanFilesStalenessSeconds: number;
      radioJoules: number;
      bytesUp: number;
      lastSync: { id: string } | null;
    };
  };
}

function finished(status: number | null, stdout: Buffer, stderr: string): CliRun {
  const lines = stderr.trimEnd().split('\n');
  let summary: CliRun['summary'];
  try {
    summary = JSON.parse(lines[lines.length - 1]) as CliRun['summary'];
  } catch {
    // a refused command ends with its one-line error instead
  }
  return { status, stdout, lines, summary };
}

/** Run `clonecloud args` and wait for it. */
export function runCli(args: string[]): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 28 });
  return finished(r.status, r.stdout, r.stderr.toString());
}

/** Run `clonecloud args` without blocking this process (a proxy or server in it can serve the run). */
export function runCliAsync(args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    // 'close', not 'exit': only then has all of the output been read.
    child.on('close', (status) => resolve(finished(status, Buffer.concat(out), err)));
  });
}
