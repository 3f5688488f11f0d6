/** The generated, read-only /proc and /sys trees that describe the modelled device. */
import { ProfileError } from '../errors';
import { LowerNode, PROC_DEV, Provenance, SYS_DEV } from './node';
import { cpuinfoText, cpuRangeText, DeviceDescription, meminfoText, versionText } from './proc-text';
import { GeneratedFile, StaticDir, StaticIdentity, StaticSymlink } from './static-nodes';

/** What /proc/self reports about the running program. */
export interface ProcessView {
  /** Guest path of the program, target of /proc/self/exe. */
  exePath: string;
  /** Current directory, target of /proc/self/cwd; omitted means no cwd link. */
  cwd?: () => string;
  /** The process's name (prctl PR_SET_NAME), shown by /proc/self/comm; omitted means no such file. */
  comm?: () => string;
  /** The process's memory map as /proc/self/maps prints it; omitted means no such file. */
  maps?: () => string;
  /** Process id; /proc/self links to /proc/<pid>. */
  pid: number;
}

/** Hands out sequential inode numbers within one generated file system. */
class Builder {
  private next = 1;

  constructor(
    readonly dev: number,
    readonly owner: Provenance,
  ) {}

  id(): StaticIdentity {
    return { dev: this.dev, ino: this.next++, owner: this.owner, sealed: true };
  }

  dir(parent?: StaticDir, name?: string): StaticDir {
    const d = new StaticDir(this.id(), 0o555);
    if (parent && name) parent.children.set(name, d);
    return d;
  }

  file(parent: StaticDir, name: string, generate: () => string): void {
    parent.children.set(name, new GeneratedFile(this.id(), 0o444, generate));
  }

  link(parent: StaticDir, name: string, target: () => string): void {
    parent.children.set(name, new StaticSymlink(this.id(), target));
  }
}

/** Reject descriptions that would produce nonsense files. */
export function checkDevice(d: DeviceDescription): void {
  const bad = (what: string): never => {
    throw new ProfileError(`device description: ${what}`);
  };
  if (typeof d.model !== 'string' || d.model.length === 0) bad('"model" must be a non-empty string');
  if (!Number.isInteger(d.cores) || d.cores < 1 || d.cores > 64) bad(`"cores" must be an integer from 1 to 64, got ${d.cores}`);
  if (!Number.isFinite(d.ramBytes) || d.ramBytes <= 0) bad(`"ramBytes" must be positive, got ${d.ramBytes}`);
  if (d.freeRamBytes !== undefined && !(d.freeRamBytes >= 0 && d.freeRamBytes <= d.ramBytes)) {
    bad(`"freeRamBytes" must lie between 0 and ramBytes, got ${d.freeRamBytes}`);
  }
  if (!Number.isFinite(d.clockHz) || d.clockHz <= 0) bad(`"clockHz" must be positive, got ${d.clockHz}`);
  if (d.bogomips !== undefined && !(d.bogomips > 0)) bad(`"bogomips" must be positive, got ${d.bogomips}`);
}

/** Build /proc for a device and process. */
export function buildProc(device: DeviceDescription, proc: ProcessView, owner: Provenance): LowerNode {
  checkDevice(device);
  const b = new Builder(PROC_DEV, owner);
  const root = b.dir();
  b.file(root, 'cpuinfo', () => cpuinfoText(device));
  b.file(root, 'meminfo', () => meminfoText(device));
  b.file(root, 'version', versionText);
  const pidDir = b.dir(root, String(proc.pid));
  b.link(pidDir, 'exe', () => proc.exePath);
  const cwd = proc.cwd;
  if (cwd) b.link(pidDir, 'cwd', cwd);
  const comm = proc.comm;
  if (comm) b.file(pidDir, 'comm', () => `${comm()}\n`);
  const maps = proc.maps;
  if (maps) b.file(pidDir, 'maps', maps);
  b.link(root, 'self', () => String(proc.pid));
  return root;
}

/** Build /sys with the CPU topology files libc and runtimes read. */
export function buildSys(device: DeviceDescription, owner: Provenance): LowerNode {
  checkDevice(device);
  const b = new Builder(SYS_DEV, owner);
  const root = b.dir();
  const cpu = b.dir(b.dir(b.dir(root, 'devices'), 'system'), 'cpu');
  const range = cpuRangeText(device.cores);
  for (const name of ['online', 'possible', 'present']) b.file(cpu, name, () => range);
  b.file(cpu, 'kernel_max', () => `${Math.max(device.cores - 1, 0)}\n`);
  const khz = String(Math.round(device.clockHz / 1000)) + '\n';
  for (let i = 0; i < device.cores; i++) {
    const freq = b.dir(b.dir(cpu, `cpu${i}`), 'cpufreq');
    for (const name of ['cpuinfo_max_freq', 'cpuinfo_min_freq', 'scaling_cur_freq', 'scaling_max_freq']) {
      b.file(freq, name, () => khz);
    }
  }
  return root;
}
