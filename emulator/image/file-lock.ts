/**
 * An exclusive lock on a file, held by the kernel (flock(2) through util-linux's flock(1), as Node
 * has no flock of its own). A helper process takes the lock and keeps it until its standard input
 * closes, which also happens when this process dies: a crashed holder never leaves a stale lock.
 */
import { spawn } from 'child_process';
import { RootfsError } from './debian-packages';

/** A held lock; release() lets the next waiter in. */
export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Take the exclusive lock on `file` (created when missing), waiting for whoever holds it;
 * `onWait` is called once when the lock is not free within a moment.
 */
export function lockFile(file: string, onWait?: () => void): Promise<HeldLock> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['--exclusive', file, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let held = false;
    const waiting = setTimeout(() => onWait?.(), 300);
    const exited = new Promise<void>((done) => child.on('close', () => done()));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(waiting);
      const why = e.code === 'ENOENT' ? 'flock (util-linux) is not installed: install util-linux' : e.message;
      reject(new RootfsError(`cannot lock ${file}: ${why}`));
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (held || !out.includes('locked\n')) return;
      held = true;
      clearTimeout(waiting);
      resolve({
        release: () => {
          child.stdin.end();
          return exited;
        },
      });
    });
    child.on('close', (code) => {
      clearTimeout(waiting);
      if (!held) reject(new RootfsError(`cannot lock ${file}: ${err.trim() || `flock exited with status ${code}`}`));
    });
  });
}
