/**
 * Add Debian armhf packages and their dependencies to a root folder: resolve the closure with apt,
 * download the .debs into a package cache shared by every root, unpack them with `dpkg-deb -x`
 * and record them in the root's manifest. Only what the root lacks is added; a cached .deb is not
 * downloaded again. Two commands on the same root or the same cache wait for each other (locks).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { aptDepends, aptDownload, aptShow, refreshIndex, requireTools, unpackDeb } from './apt-runner';
import { debFileName, dependencyClosure, IndexEntry, isPackageName, parseDepends, parseIndexStanzas, RootfsError } from './debian-packages';
import { lockFile } from './file-lock';
import {
  emptyRootfsManifest,
  readRootfsManifest,
  ROOTFS_MANIFEST_NAME,
  RootfsManifest,
  RootfsPackage,
  withPackages,
  writeRootfsManifest,
} from './rootfs-manifest';

/** The package index is refreshed once it is older than this. */
export const INDEX_MAX_AGE_MS = 24 * 3600 * 1000;

/** The lock file of a root (beside its manifest). */
const ROOT_LOCK = '.clonecloud-rootfs.lock';

/** The package cache when none is given: $XDG_CACHE_HOME/clonecloud/debs, else ~/.cache/clonecloud/debs. */
export function defaultDebCache(): string {
  const base = process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'clonecloud', 'debs');
}

/** What to add where. */
export interface AddRequest {
  root: string;
  packages: string[];
  cacheDir: string;
  /** Refresh the package index even when it is less than a day old. */
  refreshIndex?: boolean;
  /** Extra apt options (e.g. another sources list), after the private-state ones. */
  aptOptions?: string[];
  progress: (line: string) => void;
}

/** A package this command unpacked into the root. */
export interface AddedPackage extends RootfsPackage {
  /** False when the .deb came from the cache. */
  downloaded: boolean;
}

/** What an add did. */
export interface AddResult {
  root: string;
  cache: string;
  /** Packages unpacked by this command, requested ones first. */
  added: AddedPackage[];
  /** Requested packages the root already held. */
  alreadyPresent: string[];
  /** Packages in the root afterwards. */
  total: number;
}

/** Add `req.packages` and what they depend on to the root folder `req.root` (created when missing). */
export async function addPackages(req: AddRequest): Promise<AddResult> {
  const root = path.resolve(req.root);
  const cacheDir = path.resolve(req.cacheDir);
  if (req.packages.length === 0) throw new RootfsError('name at least one package to add');
  for (const p of req.packages) {
    if (!isPackageName(p)) throw new RootfsError(`${JSON.stringify(p)} is not a Debian package name (lower-case letters, digits and + - .)`);
  }
  const before = openRoot(root);
  const result = (m: RootfsManifest, added: AddedPackage[]): AddResult => ({
    root,
    cache: cacheDir,
    added,
    alreadyPresent: req.packages.filter((p) => before.packages.some((q) => q.package === p)),
    total: m.packages.length,
  });
  // Nothing to do needs neither apt nor a lock: set-up scripts call this on every run.
  if (req.packages.every((p) => before.packages.some((q) => q.package === p))) return result(before, []);

  requireTools(['apt-get', 'apt-cache', 'dpkg-deb', 'flock']);
  mkdirOrFail(root);
  const rootLock = await lockFile(path.join(root, ROOT_LOCK), () => req.progress(`waiting for another rootfs add on ${root}`));
  try {
    let manifest = openRoot(root);
    const present = new Set(manifest.packages.map((p) => p.package));
    // Another command may have added them while this one waited for the lock.
    if (req.packages.every((p) => present.has(p))) return result(manifest, []);
    const { entries, order } = await resolveAndFetch(req, cacheDir, present);
    const requested = new Set(req.packages);
    const added: AddedPackage[] = [];
    for (const name of order) {
      const { entry, downloaded } = entries.get(name)!;
      const deb = debFileName(entry);
      req.progress(`unpacking ${deb}`);
      unpackDeb(path.join(cacheDir, deb), root, name);
      const recorded: RootfsPackage = {
        package: name,
        version: entry.version,
        architecture: entry.architecture,
        deb,
        sha256: entry.sha256,
        requested: requested.has(name),
      };
      added.push({ ...recorded, downloaded });
      // Recorded one by one, so a package that did not finish unpacking is unpacked again next time.
      manifest = withPackages(manifest, [recorded]);
      writeRootfsManifest(root, manifest);
    }
    req.progress(`${root} holds ${manifest.packages.length} packages (${added.length} added)`);
    return result(manifest, added);
  } finally {
    await rootLock.release();
  }
}

/** The root's manifest; an empty one for a missing or empty folder; an error for a folder rootfs add did not make. */
function openRoot(root: string): RootfsManifest {
  const m = readRootfsManifest(root);
  if (m) return m;
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return emptyRootfsManifest();
    if (code === 'ENOTDIR') throw new RootfsError(`${root} is not a folder`);
    throw new RootfsError(`cannot read ${root}: ${(e as Error).message}`);
  }
  if (names.some((n) => n !== ROOT_LOCK)) {
    throw new RootfsError(`${root} is not empty and has no ${ROOTFS_MANIFEST_NAME}: give a new or empty folder (rootfs add only adds to roots it made)`);
  }
  return emptyRootfsManifest();
}

function mkdirOrFail(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new RootfsError(`the disk is full: cannot create ${dir}; free some space and run the command again`);
    throw new RootfsError(`cannot create ${dir}: ${(e as Error).message}`);
  }
}

/**
 * Under the cache's lock: refresh the index, resolve what the root lacks, and download into the
 * cache the .debs it does not hold yet (into a temporary folder, checked against the index's
 * SHA-256, then renamed into place, so the cache never holds a partial or wrong file).
 */
async function resolveAndFetch(
  req: AddRequest,
  cacheDir: string,
  present: Set<string>,
): Promise<{ entries: Map<string, { entry: IndexEntry; downloaded: boolean }>; order: string[] }> {
  mkdirOrFail(cacheDir);
  const cacheLock = await lockFile(path.join(cacheDir, '.lock'), () => req.progress(`waiting for another rootfs add using the cache ${cacheDir}`));
  try {
    refreshIndex(cacheDir, { maxAgeMs: INDEX_MAX_AGE_MS, force: req.refreshIndex, extra: req.aptOptions, progress: req.progress });
    const wanted = req.packages.filter((p) => !present.has(p));
    const closure = dependencyClosure(parseDepends(aptDepends(cacheDir, wanted, req.aptOptions)), wanted, present);
    if (closure.unknown.length) {
      throw new RootfsError(`no armhf package named ${closure.unknown.join(', ')} in the Debian index`);
    }
    if (closure.virtual.length) {
      throw new RootfsError(`${closure.virtual.join(', ')} is only a virtual name in the Debian index: name a package that provides it`);
    }
    if (closure.unresolved.length) throw new RootfsError(`no armhf package satisfies ${closure.unresolved.join('; ')}`);
    const index = closure.packages.length ? parseIndexStanzas(aptShow(cacheDir, closure.packages, req.aptOptions)) : new Map<string, IndexEntry>();
    const entries = new Map<string, { entry: IndexEntry; downloaded: boolean }>();
    const missing: IndexEntry[] = [];
    for (const name of closure.packages) {
      const entry = index.get(name);
      if (!entry) throw new RootfsError(`apt-cache show gave no index entry for ${name}`);
      const cached = fileSize(path.join(cacheDir, debFileName(entry))) === entry.size;
      entries.set(name, { entry, downloaded: !cached });
      if (!cached) missing.push(entry);
    }
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const bytes = missing.reduce((s, e) => s + e.size, 0);
    const n = closure.packages.length;
    req.progress(`${n} packages to add: ${missing.length ? `downloading ${missing.length} (${mb(bytes)} MB), ${n - missing.length} cached` : 'all cached'}`);
    if (missing.length) download(req, cacheDir, missing);
    return { entries, order: closure.packages };
  } finally {
    await cacheLock.release();
  }
}

function download(req: AddRequest, cacheDir: string, entries: IndexEntry[]): void {
  let tmp: string;
  try {
    tmp = fs.mkdtempSync(path.join(cacheDir, '.download-'));
  } catch (e) {
    throw new RootfsError(`cannot write into the cache ${cacheDir}: ${(e as Error).message}`);
  }
  try {
    // The exact candidate version, so what arrives is what the index entry describes.
    aptDownload(
      cacheDir,
      entries.map((e) => `${e.package}=${e.version}`),
      tmp,
      req.aptOptions,
    );
    for (const e of entries) {
      const name = debFileName(e);
      const file = path.join(tmp, name);
      if (!fs.existsSync(file)) throw new RootfsError(`apt-get download left no ${name}`);
      const sha = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      if (sha !== e.sha256) throw new RootfsError(`${name} does not match the index's SHA-256: run again with --refresh-index`);
      fs.renameSync(file, path.join(cacheDir, name));
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function fileSize(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch {
    return undefined;
  }
}
