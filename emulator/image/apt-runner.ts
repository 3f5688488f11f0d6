/**
 * apt and dpkg-deb, run for armhf over a private state kept in the package cache. The system's apt
 * sources are read; its state, lists and installed packages are left alone: apt gets its own
 * (empty) dpkg status file, so the host's installed arch:all packages cannot win the candidate
 * choice, and armhf as its only architecture.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { RootfsError } from './debian-packages';

/** Where apt keeps its private state inside a package cache folder. */
export function aptStateDir(cacheDir: string): string {
  return path.join(cacheDir, 'apt');
}

/** The options that give apt the cache's private state and armhf as its only architecture. */
export function aptOptions(cacheDir: string, extra: string[] = []): string[] {
  const apt = aptStateDir(cacheDir);
  const state = path.join(apt, 'state');
  return [
    ...['-o', `Dir::State=${state}`, '-o', `Dir::State::status=${path.join(state, 'status')}`],
    ...['-o', `Dir::Cache=${path.join(apt, 'cache')}`],
    ...['-o', 'APT::Architecture=armhf', '-o', 'APT::Architectures=armhf'],
    ...extra,
  ];
}

/** Throw naming the first of `tools` that is not on the PATH. */
export function requireTools(tools: string[]): void {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const t of tools) {
    const found = dirs.some((d) => {
      try {
        fs.accessSync(path.join(d, t), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
    if (!found) throw new RootfsError(`${t} is not on the PATH: rootfs add needs apt-get, apt-cache and dpkg-deb (Debian's apt and dpkg packages)`);
  }
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd?: string): Ran {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LC_ALL: 'C' } });
  if (r.error) throw new RootfsError(`cannot run ${cmd}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * What went wrong, from apt's output: its error lines (`E: ...`), else its first failed fetch (a
 * warning when the update carries on), else its last line.
 */
function aptErrors(r: Ran): string {
  const lines = (r.stderr + '\n' + r.stdout).split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => l.startsWith('E: ')).map((l) => l.slice(3));
  if (errors.length) return errors.join('; ');
  const fetch = lines.find((l) => l.startsWith('W: Failed to fetch '));
  return fetch ? fetch.slice(3).replace(/\s+/g, ' ') : (lines.filter(Boolean).pop() ?? `exit status ${r.status}`);
}

const DISK_FULL = /No space left on device/;

/** The index's Packages files in the private state (none: no usable index). */
function indexFiles(cacheDir: string): string[] {
  const lists = path.join(aptStateDir(cacheDir), 'state', 'lists');
  try {
    return fs.readdirSync(lists).filter((f) => /_Packages(\.|$)/.test(f));
  } catch {
    return [];
  }
}

/** How a refresh went: already fresh, refreshed, or refresh failed and the older index is used. */
export type IndexState = 'fresh' | 'updated' | 'stale';

/**
 * Make sure the cache has an armhf package index no older than `maxAgeMs` (apt-get update when it
 * is older or missing). apt-get update may fail on a secondary index (a security mirror mid-sync)
 * while the main one arrives: any Packages file is enough. With none at all it is an error.
 */
export function refreshIndex(cacheDir: string, opts: { maxAgeMs: number; force?: boolean; extra?: string[]; progress: (line: string) => void }): IndexState {
  const apt = aptStateDir(cacheDir);
  const stamp = path.join(apt, 'index-updated');
  const age = (() => {
    try {
      return Date.now() - fs.statSync(stamp).mtimeMs;
    } catch {
      return Infinity;
    }
  })();
  if (!opts.force && age < opts.maxAgeMs && indexFiles(cacheDir).length) return 'fresh';
  for (const d of ['state/lists/partial', 'cache/archives/partial']) fs.mkdirSync(path.join(apt, d), { recursive: true });
  const status = path.join(apt, 'state', 'status');
  if (!fs.existsSync(status)) fs.writeFileSync(status, '');
  opts.progress('refreshing the armhf package index (apt-get update)');
  const r = run('apt-get', [...aptOptions(cacheDir, opts.extra), 'update']);
  if (DISK_FULL.test(r.stderr + r.stdout))
    throw new RootfsError(`the disk is full: apt-get update cannot write into ${apt}; free some space and run the command again`);
  // apt keeps the previous lists when a download fails: whether this run reached a source at all
  // shows in its Get (new) and Hit (unchanged) lines.
  const fetched = /^(Get|Hit):/m.test(r.stdout);
  if (indexFiles(cacheDir).length === 0) {
    throw new RootfsError(`apt-get update fetched no armhf package index: ${aptErrors(r)} (check the network and the system's apt sources)`);
  }
  if (!fetched) {
    opts.progress(`warning: could not refresh the package index (${aptErrors(r)}); using the older one`);
    return 'stale';
  }
  fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  return 'updated';
}

/** `apt-cache depends --recurse` of `names`, Depends and PreDepends only (text to parseDepends). */
export function aptDepends(cacheDir: string, names: string[], extra?: string[]): string {
  const skip = ['--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances'];
  const r = run('apt-cache', [...aptOptions(cacheDir, extra), 'depends', '--recurse', ...skip, ...names]);
  // With no name known at all apt-cache fails with "No packages found"; that is an empty answer.
  if (r.status !== 0 && !/No packages found/.test(r.stderr)) throw new RootfsError(`apt-cache depends failed: ${aptErrors(r)}`);
  return r.status === 0 ? r.stdout : '';
}

/** `apt-cache show --no-all-versions` of `names`: the candidates' index stanzas (text to parseIndexStanzas). */
export function aptShow(cacheDir: string, names: string[], extra?: string[]): string {
  const r = run('apt-cache', [...aptOptions(cacheDir, extra), 'show', '--no-all-versions', ...names]);
  if (r.status !== 0) throw new RootfsError(`apt-cache show failed: ${aptErrors(r)}`);
  return r.stdout;
}

/** `apt-get download` of `names` into the folder `into`. */
export function aptDownload(cacheDir: string, names: string[], into: string, extra?: string[]): void {
  const r = run('apt-get', [...aptOptions(cacheDir, extra), 'download', ...names], into);
  if (DISK_FULL.test(r.stderr + r.stdout))
    throw new RootfsError(`the disk is full: cannot download packages into ${into}; free some space and run the command again`);
  if (r.status !== 0) {
    throw new RootfsError(`apt-get download failed: ${aptErrors(r)} (if the index is out of date, run again with --refresh-index)`);
  }
}

/** Unpack a .deb's files into `root` with `dpkg-deb -x` (no maintainer script runs). */
export function unpackDeb(deb: string, root: string, pkg: string): void {
  const r = run('dpkg-deb', ['-x', deb, root]);
  if (DISK_FULL.test(r.stderr)) {
    throw new RootfsError(`the disk is full: unpacking ${pkg} into ${root} stopped part way; free some space and run the command again`);
  }
  if (r.status !== 0) throw new RootfsError(`dpkg-deb -x ${path.basename(deb)} failed: ${r.stderr.trim().split('\n').pop()}`);
}
