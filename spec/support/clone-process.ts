/** `clonecloud clone serve` in a process of its own, on a loopback port it picks. */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The command line entry point. */
export const BIN = path.join(ROOT, 'bin', 'clonecloud');

/** A running clone server. */
export interface CloneProcess {
  port: number;
  proc: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, and wait until it is gone. */
  kill(): Promise<void>;
}

/** Start a clone server over `store` with the token in `tokenFile` (written 0600 when `token` is given). */
export async function startClone(store: string, tokenFile: string, token?: string, extra: string[] = []): Promise<CloneProcess> {
  if (token !== undefined) fs.writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const proc = spawn(
    process.execPath,
    [BIN, 'clone', 'serve', '--listen', '127.0.0.1:0', '--profile', 'dell-t7400', '--store', store, '--token-file', tokenFile, ...extra],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`clone serve did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    proc.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`clone serve exited with ${code}:\n${out}`)));
  });
  return {
    port,
    proc,
    output: () => out,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
