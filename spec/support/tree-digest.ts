/**
 * What a folder holds after a program changed it, as text that can be compared between the host
 * folder qemu-arm wrote into and clonecloud's guest file system: one line per entry, sorted, with
 * its kind, permission bits, size and content hash or link target. Owners and times are left out:
 * they differ by design (qemu-arm runs as the host user at the host's time, clonecloud as the
 * phone's user on its modelled clock).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { O_DIRECTORY, O_RDONLY } from '../../emulator/abi/fcntl';
import { Vfs } from '../../emulator/vfs/vfs';

/** The little a digest needs to know about an entry. */
interface Entry {
  kind: 'dir' | 'file' | 'symlink' | 'other';
  perm: number;
  size: number;
}

/** A file tree seen from one side; paths are relative to the digested folder ('' is itself). */
interface TreeView {
  entry(rel: string): Entry;
  names(rel: string): string[];
  content(rel: string): Buffer;
  target(rel: string): string;
}

const S_IFMT = 0o170000;
const KINDS: Record<number, Entry['kind']> = { 0o040000: 'dir', 0o100000: 'file', 0o120000: 'symlink' };

function toEntry(mode: number, size: number): Entry {
  return { kind: KINDS[mode & S_IFMT] ?? 'other', perm: mode & 0o7777, size };
}

function digest(view: TreeView, rel: string, out: string[]): void {
  const e = view.entry(rel);
  const what =
    e.kind === 'file' ? crypto.createHash('sha256').update(view.content(rel)).digest('hex').slice(0, 16) : e.kind === 'symlink' ? `-> ${view.target(rel)}` : '';
  out.push(`${rel || '.'} ${e.kind} ${e.perm.toString(8)} ${e.kind === 'file' ? e.size : ''} ${what}`.trimEnd());
  if (e.kind === 'dir') for (const n of [...view.names(rel)].sort()) digest(view, rel ? `${rel}/${n}` : n, out);
}

/** Digest of the host folder `dir`. */
export function hostTreeDigest(dir: string): string {
  const at = (rel: string): string => path.join(dir, rel);
  const out: string[] = [];
  digest(
    {
      entry: (rel) => {
        const st = fs.lstatSync(at(rel));
        return toEntry(st.mode, st.size);
      },
      names: (rel) => fs.readdirSync(at(rel)),
      content: (rel) => fs.readFileSync(at(rel)),
      target: (rel) => fs.readlinkSync(at(rel)),
    },
    '',
    out,
  );
  return out.join('\n');
}

/** Digest of the guest folder `dir` (absolute) in clonecloud's file system. */
export function guestTreeDigest(vfs: Vfs, dir: string): string {
  const at = (rel: string): string => (rel ? `${dir}/${rel}` : dir);
  const out: string[] = [];
  digest(
    {
      entry: (rel) => {
        const st = vfs.stat(at(rel), '/', false);
        return toEntry(st.mode, st.size);
      },
      names: (rel) => {
        const d = vfs.open(at(rel), '/', O_RDONLY | O_DIRECTORY);
        try {
          return d
            .readdir()
            .map((e) => e.name)
            .filter((n) => n !== '.' && n !== '..');
        } finally {
          d.close();
        }
      },
      content: (rel) => {
        const f = vfs.open(at(rel), '/', O_RDONLY);
        try {
          const buf = Buffer.alloc(f.size());
          return buf.subarray(0, f.read(buf, 0));
        } finally {
          f.close();
        }
      },
      target: (rel) => vfs.readlink(at(rel), '/'),
    },
    '',
    out,
  );
  return out.join('\n');
}
