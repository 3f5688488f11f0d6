/**
 * The record of what a root folder built from Debian packages holds: `<root>/.clonecloud-rootfs.json`
 * (format 1). Reading validates every field and reports the first problem as one RootfsError line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { debFileName, isPackageName, ROOTFS_ARCHITECTURE, RootfsError } from './debian-packages';

/** The manifest format this version reads and writes. */
export const ROOTFS_MANIFEST_FORMAT = 1;

/** The manifest's file name inside the root. */
export const ROOTFS_MANIFEST_NAME = '.clonecloud-rootfs.json';

/** One package unpacked into the root. */
export interface RootfsPackage {
  package: string;
  version: string;
  /** armhf, or all for architecture-independent packages. */
  architecture: string;
  /** The .deb's file name in the package cache. */
  deb: string;
  /** SHA-256 of the .deb, as the index gives it (the download was checked against it). */
  sha256: string;
  /** Named on the `rootfs add` command line that brought it in, rather than pulled in as a dependency. */
  requested: boolean;
}

/** A parsed, validated root manifest. */
export interface RootfsManifest {
  format: number;
  architecture: string;
  /** Sorted by package name; each name once. */
  packages: RootfsPackage[];
}

/** A manifest of an empty root. */
export function emptyRootfsManifest(): RootfsManifest {
  return { format: ROOTFS_MANIFEST_FORMAT, architecture: ROOTFS_ARCHITECTURE, packages: [] };
}

/** Path of the manifest of the root at `dir`. */
export function rootfsManifestPath(dir: string): string {
  return path.join(dir, ROOTFS_MANIFEST_NAME);
}

/** Validate a manifest's JSON text; `file` names it in errors. */
export function parseRootfsManifest(text: string, file: string): RootfsManifest {
  const fail = (what: string): never => {
    throw new RootfsError(`${file}: ${what}; remove the folder and add its packages again`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a JSON object');
  const m = raw as Record<string, unknown>;
  if (m.format !== ROOTFS_MANIFEST_FORMAT) {
    return fail(`format ${JSON.stringify(m.format)} is not the format ${ROOTFS_MANIFEST_FORMAT} this version reads`);
  }
  if (m.architecture !== ROOTFS_ARCHITECTURE) return fail(`architecture ${JSON.stringify(m.architecture)} is not ${ROOTFS_ARCHITECTURE}`);
  if (!Array.isArray(m.packages)) return fail('"packages" is not an array');
  const seen = new Set<string>();
  const packages = m.packages.map((p: unknown, i): RootfsPackage => {
    const at = `packages[${i}]`;
    if (typeof p !== 'object' || p === null) return fail(`${at} is not an object`);
    const e = p as Record<string, unknown>;
    const str = (k: string): string => (typeof e[k] === 'string' && e[k] !== '' ? (e[k] as string) : fail(`${at}.${k} is not a non-empty string`));
    const pkg: RootfsPackage = {
      package: str('package'),
      version: str('version'),
      architecture: str('architecture'),
      deb: str('deb'),
      sha256: str('sha256'),
      requested: typeof e.requested === 'boolean' ? e.requested : fail(`${at}.requested is not true or false`),
    };
    if (!isPackageName(pkg.package)) fail(`${at}.package ${JSON.stringify(pkg.package)} is not a Debian package name`);
    if (pkg.architecture !== ROOTFS_ARCHITECTURE && pkg.architecture !== 'all')
      fail(`${at}.architecture ${JSON.stringify(pkg.architecture)} is not armhf or all`);
    if (pkg.deb !== debFileName(pkg)) fail(`${at}.deb ${JSON.stringify(pkg.deb)} does not match its package, version and architecture`);
    if (!/^[0-9a-f]{64}$/.test(pkg.sha256)) fail(`${at}.sha256 is not 64 lower-case hex digits`);
    if (seen.has(pkg.package)) fail(`${pkg.package} is listed twice`);
    seen.add(pkg.package);
    return pkg;
  });
  return { format: ROOTFS_MANIFEST_FORMAT, architecture: ROOTFS_ARCHITECTURE, packages: sortPackages(packages) };
}

/** The manifest as written: stable key order, packages sorted by name, one per line. */
export function serializeRootfsManifest(m: RootfsManifest): string {
  const lines = sortPackages(m.packages).map((p) =>
    JSON.stringify({
      package: p.package,
      version: p.version,
      architecture: p.architecture,
      deb: p.deb,
      sha256: p.sha256,
      requested: p.requested,
    }),
  );
  const body = lines.length ? `[\n    ${lines.join(',\n    ')}\n  ]` : '[]';
  return `{\n  "format": ${m.format},\n  "architecture": ${JSON.stringify(m.architecture)},\n  "packages": ${body}\n}\n`;
}

/** The manifest with `added` merged in (an added package replaces one of the same name). */
export function withPackages(m: RootfsManifest, added: RootfsPackage[]): RootfsManifest {
  const byName = new Map(m.packages.map((p) => [p.package, p]));
  for (const p of added) byName.set(p.package, p);
  return { ...m, packages: sortPackages([...byName.values()]) };
}

/** The manifest of the root at `dir`, or undefined when the folder holds none (not built by rootfs add). */
export function readRootfsManifest(dir: string): RootfsManifest | undefined {
  const file = rootfsManifestPath(dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RootfsError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseRootfsManifest(text, file);
}

/** Replace the root's manifest atomically (a temporary file renamed over it), so a reader never sees half of one. */
export function writeRootfsManifest(dir: string, m: RootfsManifest): void {
  const file = rootfsManifestPath(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, serializeRootfsManifest(m));
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw new RootfsError(`the disk is full: cannot write ${file}; free some space and run the command again`);
    throw new RootfsError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

function sortPackages(list: RootfsPackage[]): RootfsPackage[] {
  return [...list].sort((a, b) => (a.package < b.package ? -1 : a.package > b.package ? 1 : 0));
}
