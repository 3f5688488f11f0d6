/** `clonecloud rootfs add | list`: root folders built from Debian armhf packages. */
import * as path from 'path';
import { RootfsError } from '../image/debian-packages';
import { addPackages, defaultDebCache } from '../image/rootfs-add';
import { readRootfsManifest, ROOTFS_MANIFEST_NAME } from '../image/rootfs-manifest';
import { printJson, table } from './output';

/** Options of `rootfs add`. */
export interface RootfsAddOptions {
  cache?: string;
  refreshIndex?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Add packages with their dependencies to a root folder; progress on stderr, the result on stdout. */
export async function rootfsAddCommand(dir: string, packages: string[], opts: RootfsAddOptions): Promise<number> {
  const progress = (line: string) => {
    if (!opts.quiet) process.stderr.write(`rootfs: ${line}\n`);
  };
  const r = await addPackages({ root: dir, packages, cacheDir: opts.cache ?? defaultDebCache(), refreshIndex: opts.refreshIndex, progress });
  if (opts.json) {
    printJson(r);
    return 0;
  }
  if (r.added.length === 0) {
    process.stdout.write(`${dir} already holds ${packages.join(', ')} (${r.total} packages in all)\n`);
    return 0;
  }
  const fetched = r.added.filter((p) => p.downloaded).length;
  process.stdout.write(
    `added ${r.added.length} packages to ${dir} (${fetched} downloaded, ${r.added.length - fetched} from the cache ${r.cache}); ${r.total} in all\n`,
  );
  return 0;
}

/** List what a root folder holds. */
export function rootfsListCommand(dir: string, opts: { json?: boolean }): number {
  const m = readRootfsManifest(dir);
  if (!m) throw new RootfsError(`${path.join(dir, ROOTFS_MANIFEST_NAME)} is missing: ${dir} was not made by clonecloud rootfs add`);
  if (opts.json) {
    printJson(m);
    return 0;
  }
  const rows = m.packages.map((p) => [p.package, p.version, p.architecture, p.requested ? 'requested' : 'dependency']);
  process.stdout.write(table(['package', 'version', 'arch', 'why'], rows));
  process.stdout.write(`${m.packages.length} packages (${m.architecture})\n`);
  return 0;
}
