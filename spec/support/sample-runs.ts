/**
 * Runs the sample images the way a user does (`clonecloud boot IMAGE --json`) from a private copy
 * whose host folders are turned into file entries holding the same bytes: a host file's ctime and
 * inode number reach guest memory through stat and cannot be pinned, so the memory hash of a run
 * over host folders depends on when and where the checkout was made.
 */
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

/** What one sample run is judged by. */
export interface SampleRun {
  /** sha256 of the program the image boots, so a different compiler is told apart from a regression. */
  elf: string;
  exitStatus: number;
  instructions: number;
  memoryHash: string;
  stdout: string;
  stderr: string;
}

/** The sample images, in the order they are recorded. */
export const SAMPLE_IMAGES = ['hello', 'compute', 'fsscan', 'memtouch', 'syscalls'];

function sha256(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

type Entry = { type: string; source?: string; target: string };

/** The file entries that hold what host folder `dir`, mounted at `target`, holds. */
function fileEntries(dir: string, target: string): object[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const host = path.join(dir, e.name);
    const guest = path.posix.join(target, e.name);
    if (e.isDirectory()) return fileEntries(host, guest);
    if (!e.isFile()) throw new Error(`sample image host folder holds ${host}, which is neither a file nor a folder`);
    const mode = fs.statSync(host).mode & 0o7777;
    return [{ type: 'file', target: guest, content: fs.readFileSync(host, 'utf8'), mode }];
  });
}

/** Rewrite the copy's manifest so that no rootfs entry reads a host folder. */
function withoutHostFolders(copy: string): void {
  const file = path.join(copy, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { rootfs: Entry[] };
  manifest.rootfs = manifest.rootfs.flatMap((e) => (e.type === 'host' ? (fileEntries(path.resolve(copy, e.source!), e.target) as Entry[]) : [e]));
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
}

/** Boot sample image `name` from a copy under `scratch` and describe the run. */
export function runSample(name: string, scratch: string): SampleRun {
  const copy = path.join(scratch, name);
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'images', name), copy, { recursive: true });
  withoutHostFolders(copy);
  const manifest = JSON.parse(fs.readFileSync(path.join(copy, 'manifest.json'), 'utf8')) as { program: { elf: string } };
  const r = spawnSync(process.execPath, [BIN, 'boot', copy, '--json'], { cwd: scratch, maxBuffer: 1 << 28 });
  if (r.error) throw r.error;
  const stderr = r.stderr.toString('latin1');
  const lines = stderr.trimEnd().split('\n');
  const summary = JSON.parse(lines.pop()!) as { exitStatus: number; instructions: number; memoryHash: string };
  return {
    elf: sha256(fs.readFileSync(path.join(copy, manifest.program.elf))),
    exitStatus: summary.exitStatus,
    instructions: summary.instructions,
    memoryHash: summary.memoryHash,
    stdout: sha256(r.stdout),
    stderr: sha256(lines.length ? lines.join('\n') + '\n' : ''),
  };
}
