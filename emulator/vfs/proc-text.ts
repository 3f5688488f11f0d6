/** Text of the generated /proc and /sys files, in the formats Linux uses so guest parsers work. */

/** The modelled phone as /proc and /sys describe it. */
export interface DeviceDescription {
  model: string;
  ramBytes: number;
  /** Defaults to 40% of RAM, a typical idle phone; ignored when `usedBytes` is given. */
  freeRamBytes?: number;
  /** Memory the guest uses now (its resident pages); the rest of RAM is free. */
  usedBytes?: () => number;
  cores: number;
  clockHz: number;
  /** Defaults to the clock in MHz, what delay-loop calibration reports on these cores. */
  bogomips?: number;
}

const PAGE_KB = 4;

/** Round down to whole 4 KiB pages, since the kernel counts pages. */
function pages(kb: number): number {
  return Math.max(0, Math.floor(kb / PAGE_KB) * PAGE_KB);
}

/** One meminfo line: the label padded to 16 columns, the value right-aligned in 8, then " kB". */
function kbLine(label: string, kb: number): string {
  return `${(label + ':').padEnd(16)}${String(kb).padStart(8)} kB\n`;
}

/** Total and free RAM in kB, whole pages, as both sysinfo(2) and /proc/meminfo report them. */
export function memoryKb(ramBytes: number, freeBytes: number): { total: number; free: number } {
  const total = pages(ramBytes / 1024);
  return { total, free: Math.max(0, Math.min(total, pages(freeBytes / 1024))) };
}

/**
 * /proc/meminfo. The guest is the only program on the modelled phone, so what is not free is its
 * anonymous memory: there is no page cache or buffer memory, and sysinfo(2) says the same.
 */
export function meminfoText(d: DeviceDescription): string {
  const { total, free } = memoryKb(d.ramBytes, d.usedBytes ? d.ramBytes - d.usedBytes() : (d.freeRamBytes ?? d.ramBytes * 0.4));
  const used = total - free;
  const buffers = 0;
  const cached = 0;
  const slab = 0;
  const anon = used;
  const activeAnon = pages(anon * 0.8);
  const activeFile = 0;
  const lines: [string, number][] = [
    ['MemTotal', total],
    ['MemFree', free],
    ['MemAvailable', Math.min(total, free + buffers + cached + pages(slab / 2))],
    ['Buffers', buffers],
    ['Cached', cached],
    ['SwapCached', 0],
    ['Active', activeAnon + activeFile],
    ['Inactive', anon - activeAnon + buffers + cached - activeFile],
    ['Active(anon)', activeAnon],
    ['Inactive(anon)', anon - activeAnon],
    ['Active(file)', activeFile],
    ['Inactive(file)', buffers + cached - activeFile],
    ['Unevictable', 0],
    ['Mlocked', 0],
    ['HighTotal', 0],
    ['HighFree', 0],
    ['LowTotal', total],
    ['LowFree', free],
    ['SwapTotal', 0],
    ['SwapFree', 0],
    ['Dirty', 0],
    ['Writeback', 0],
    ['AnonPages', anon],
    ['Mapped', pages(cached * 0.4)],
    ['Shmem', pages(cached * 0.02)],
    ['Slab', slab],
    ['SReclaimable', pages(slab / 2)],
    ['SUnreclaim', slab - pages(slab / 2)],
    ['KernelStack', 0],
    ['PageTables', 0],
    ['NFS_Unstable', 0],
    ['Bounce', 0],
    ['WritebackTmp', 0],
    ['CommitLimit', pages(total / 2)],
    ['Committed_AS', pages(anon * 2)],
    ['VmallocTotal', 245760],
    ['VmallocUsed', 8192],
    ['VmallocChunk', 180224],
  ];
  return lines.map(([k, v]) => kbLine(k, v)).join('');
}

/** HWCAP names of a Cortex-A7-class core, as the Features line lists them. */
export const CPU_FEATURES = 'half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt';

/** /proc/cpuinfo in the ARMv7 layout: one block per core, then the board lines. */
export function cpuinfoText(d: DeviceDescription): string {
  const bogomips = (d.bogomips ?? d.clockHz / 1e6).toFixed(2);
  let out = '';
  for (let cpu = 0; cpu < d.cores; cpu++) {
    out +=
      `processor\t: ${cpu}\n` +
      `model name\t: ARMv7 Processor rev 0 (v7l)\n` +
      `BogoMIPS\t: ${bogomips}\n` +
      `Features\t: ${CPU_FEATURES}\n` +
      `CPU implementer\t: 0x41\n` +
      `CPU architecture: 7\n` +
      `CPU variant\t: 0x0\n` +
      `CPU part\t: 0xc07\n` +
      `CPU revision\t: 0\n\n`;
  }
  return out + `Hardware\t: ${d.model}\nRevision\t: 0000\nSerial\t\t: 0000000000000000\n`;
}

/** A CPU list as /sys prints it: "0" or "0-N". */
export function cpuRangeText(cores: number): string {
  return cores <= 1 ? '0\n' : `0-${cores - 1}\n`;
}

/** /proc/version for a kernel of the era these phones shipped. */
export function versionText(): string {
  return 'Linux version 3.4.0-clonecloud (build@clonecloud) (gcc version 4.8) #1 SMP PREEMPT Thu Jan 1 00:00:00 UTC 2015\n';
}
