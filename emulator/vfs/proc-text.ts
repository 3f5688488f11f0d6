/** Text of the generated /proc and /sys files, in the formats Linux uses so guest parsers work. */

/** The modelled phone as /proc and /sys describe it. */
export interface DeviceDescription {
  model: string;
  ramBytes: number;
  /** Defaults to 40% of RAM, a typical idle phone. */
  freeRamBytes?: number;
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

/** /proc/meminfo; the split of used memory is a fixed plausible mix so it is deterministic. */
export function meminfoText(d: DeviceDescription): string {
  const total = pages(d.ramBytes / 1024);
  const free = Math.min(total, pages((d.freeRamBytes ?? d.ramBytes * 0.4) / 1024));
  const used = total - free;
  const buffers = pages(used * 0.04);
  const cached = pages(used * 0.3);
  const slab = pages(used * 0.06);
  const anon = Math.max(0, used - buffers - cached - slab);
  const activeAnon = pages(anon * 0.8);
  const activeFile = pages((buffers + cached) * 0.5);
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
    ['KernelStack', pages(total * 0.005)],
    ['PageTables', pages(total * 0.008)],
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
