/**
 * What apt says about Debian packages, read without running apt: the dependency lists of
 * `apt-cache depends --recurse`, the index stanzas of `apt-cache show`, and the dependency closure
 * a root folder needs (one alternative per `a | b` group, as apt's resolver picks it).
 */
import { CloneCloudError } from '../errors';

/** A root folder of Debian packages cannot be built, read or written (the message says what to do). */
export class RootfsError extends CloneCloudError {}

/** The only architecture roots are built for: the guest is 32-bit ARM with hard float. */
export const ROOTFS_ARCHITECTURE = 'armhf';

/** Debian's package name syntax (policy 5.6.1); anything else is refused before apt sees it. */
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** True when `name` is a valid Debian package name. */
export function isPackageName(name: string): boolean {
  return PACKAGE_NAME.test(name);
}

/** One alternative of a dependency: a package, or a virtual name with the packages that provide it. */
export interface Alternative {
  name: string;
  virtual: boolean;
  providers: string[];
}

/** The dependencies of every package apt listed: each entry is one `a | b | c` group. */
export interface DependencyGraph {
  /** Real packages and their Depends/PreDepends groups. */
  packages: Map<string, Alternative[][]>;
  /** Names apt printed as `<name>` at the top level: virtual, no package of their own. */
  virtualNames: Set<string>;
}

/** The dependency kinds that must be in the root for a program to run. */
const NEEDED_KINDS = new Set(['Depends', 'PreDepends']);

/**
 * Parse `apt-cache depends [--recurse]` output (LC_ALL=C). A package line starts in column 0; its
 * dependencies are ` |Kind: name` (more alternatives follow) or `  Kind: name` (last alternative),
 * `<name>` marking a virtual one; lines indented by four spaces list an alternative's providers.
 */
export function parseDepends(text: string): DependencyGraph {
  const packages = new Map<string, Alternative[][]>();
  const virtualNames = new Set<string>();
  let groups: Alternative[][] | undefined;
  let open: Alternative[] | undefined;
  let last: Alternative | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (/^[a-z0-9<]/.test(line)) {
      const m = /^<(.+)>$/.exec(line);
      last = open = undefined;
      if (m) {
        virtualNames.add(m[1]);
        groups = undefined;
      } else {
        groups = packages.get(line) ?? [];
        packages.set(line, groups);
      }
      continue;
    }
    const dep = /^ ([| ])([A-Za-z-]+): (.+)$/.exec(line);
    if (dep) {
      const [, bar, kind, target] = dep;
      const v = /^<(.+)>$/.exec(target);
      const alt: Alternative = { name: v ? v[1] : target, virtual: v !== null, providers: [] };
      last = alt;
      if (!groups || !NEEDED_KINDS.has(kind)) {
        open = undefined;
        continue;
      }
      if (!open) groups.push((open = []));
      open.push(alt);
      if (bar !== '|') open = undefined;
      continue;
    }
    const provider = /^ {4}(\S+)$/.exec(line);
    if (provider && last) {
      last.providers.push(provider[1]);
      continue;
    }
    throw new RootfsError(`unexpected line in apt-cache depends output: ${JSON.stringify(line)}`);
  }
  return { packages, virtualNames };
}

/** The packages to add to a root, or why some cannot be. */
export interface Closure {
  /** Packages to add, the requested ones first, then their dependencies breadth first. */
  packages: string[];
  /** Requested names apt does not know. */
  unknown: string[];
  /** Requested names that are virtual only. */
  virtual: string[];
  /** Dependencies no package in the index satisfies, as `pkg: a | b`. */
  unresolved: string[];
}

/**
 * The packages `requested` needs beyond those `present` in the root: Depends and PreDepends,
 * recursively, taking for each `a | b` group nothing when the root already satisfies it, else the
 * first alternative that is a real package (or, for a virtual name, its first provider).
 */
export function dependencyClosure(graph: DependencyGraph, requested: string[], present: Iterable<string>): Closure {
  const selected = new Set(present);
  const result: Closure = { packages: [], unknown: [], virtual: [], unresolved: [] };
  const queue: string[] = [];
  const take = (name: string) => {
    if (selected.has(name)) return;
    selected.add(name);
    result.packages.push(name);
    queue.push(name);
  };
  for (const name of requested) {
    if (graph.packages.has(name)) take(name);
    else if (selected.has(name)) continue;
    else if (graph.virtualNames.has(name)) result.virtual.push(name);
    else result.unknown.push(name);
  }
  const real = (name: string) => graph.packages.has(name);
  for (let i = 0; i < queue.length; i++) {
    for (const group of graph.packages.get(queue[i]) ?? []) {
      if (group.some((a) => selected.has(a.name) || a.providers.some((p) => selected.has(p)))) continue;
      let choice: string | undefined;
      for (const a of group) {
        choice = !a.virtual && real(a.name) ? a.name : a.providers.find(real);
        if (choice) break;
      }
      if (choice) take(choice);
      else result.unresolved.push(`${queue[i]}: ${group.map((a) => a.name).join(' | ')}`);
    }
  }
  return result;
}

/** A package's entry in the index: what `apt-get download` fetches for it. */
export interface IndexEntry {
  package: string;
  version: string;
  architecture: string;
  /** Size of the .deb in bytes. */
  size: number;
  sha256: string;
}

/**
 * Parse `apt-cache show --no-all-versions` output: one stanza per package, fields `Name: value`,
 * continuation lines indented. Only the fields a download needs are kept; a stanza missing one is
 * refused (an index apt could not download from either).
 */
export function parseIndexStanzas(text: string): Map<string, IndexEntry> {
  const entries = new Map<string, IndexEntry>();
  for (const stanza of text.split(/\n\s*\n/)) {
    if (stanza.trim() === '') continue;
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1], m[2].trim());
    }
    const get = (f: string) => {
      const v = fields.get(f);
      if (!v) throw new RootfsError(`apt-cache show gave a stanza without ${f}: ${JSON.stringify(stanza.split('\n')[0])}`);
      return v;
    };
    const entry: IndexEntry = {
      package: get('Package'),
      version: get('Version'),
      architecture: get('Architecture'),
      size: Number(get('Size')),
      sha256: get('SHA256').toLowerCase(),
    };
    if (!/^[0-9a-f]{64}$/.test(entry.sha256)) throw new RootfsError(`the index gives ${entry.package} a malformed SHA256`);
    if (!entries.has(entry.package)) entries.set(entry.package, entry);
  }
  return entries;
}

/** The file name `apt-get download` gives a package's .deb (an epoch's colon is written %3a). */
export function debFileName(e: Pick<IndexEntry, 'package' | 'version' | 'architecture'>): string {
  return `${e.package}_${e.version.replace(/:/g, '%3a')}_${e.architecture}.deb`;
}
