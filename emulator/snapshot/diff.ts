/**
 * What changed between two checkpoints: pages added, changed and removed, grouped by the kind of
 * region they belong to; registers; files of the writable layer; instructions and modelled time.
 * Pure: works on manifests and page tables.
 */
import { CpuContextState } from '../unicorn/cpu-context';
import { PAGE_SIZE, Region, RegionKind } from '../memory/address-space';
import { TaskState } from '../kernel/task';
import { CheckpointManifest, VfsRecord } from './manifest';
import { forEachDifference, PageTable } from './page-table';

/** Page changes in one kind of region. */
export interface RegionDiff {
  kind: RegionKind | 'unmapped';
  added: number;
  changed: number;
  removed: number;
  bytes: number;
}

/** A register whose value differs. */
export interface RegisterDiff {
  name: string;
  from: string;
  to: string;
}

/** A path of the writable layer that differs. */
export interface FileDiff {
  path: string;
  change: 'added' | 'removed' | 'changed';
}

/** How one process differs: present in one checkpoint only, or its threads' and pages' changes. */
export interface ProcessDiff {
  pid: number;
  change: 'added' | 'ended' | 'changed' | 'unchanged';
  /** Live threads in A and in B. */
  threads: [number, number];
  /** Pages added, changed and removed (the first process's are the region table's). */
  pages: { added: number; changed: number; removed: number };
  /** Threads present in both whose registers differ. */
  threadsWithNewRegisters: number;
}

/** The whole difference from A to B. */
export interface CheckpointDiff {
  from: string;
  to: string;
  instructions: number;
  modelledSeconds: number;
  regions: RegionDiff[];
  totals: { added: number; changed: number; removed: number; bytes: number };
  registers: RegisterDiff[];
  files: FileDiff[];
  /** Every process of either checkpoint, by pid. */
  processes: ProcessDiff[];
}

function kindAt(regions: Region[], page: number): RegionKind | 'unmapped' {
  const addr = page * PAGE_SIZE;
  return regions.find((r) => addr >= r.start && addr < r.end)?.kind ?? 'unmapped';
}

/** Pages present in only one table, or with different hashes, by region kind. */
function diffPages(a: PageTable, b: PageTable, regionsA: Region[], regionsB: Region[]): RegionDiff[] {
  const by = new Map<string, RegionDiff>();
  const bump = (kind: RegionDiff['kind'], field: 'added' | 'changed' | 'removed') => {
    const d = by.get(kind) ?? { kind, added: 0, changed: 0, removed: 0, bytes: 0 };
    d[field]++;
    d.bytes += PAGE_SIZE;
    by.set(kind, d);
  };
  // A page's kind comes from the map it is in: the later one, or the earlier one for a removed page.
  forEachDifference(a, b, (page, change) => bump(kindAt(change === 'removed' ? regionsA : regionsB, page), change));
  const order: RegionDiff['kind'][] = ['text', 'data', 'heap', 'mmap', 'stack', 'vectors', 'unmapped'];
  return [...by.values()].sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));
}

function diffRegisters(a: CpuContextState, b: CpuContextState): RegisterDiff[] {
  const out: RegisterDiff[] = [];
  const hex = (v: number) => '0x' + (v >>> 0).toString(16).padStart(8, '0');
  const names = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'];
  names.forEach((n, i) => a.r[i] !== b.r[i] && out.push({ name: n, from: hex(a.r[i]), to: hex(b.r[i]) }));
  if (a.pc !== b.pc) out.push({ name: 'pc', from: hex(a.pc), to: hex(b.pc) });
  for (const k of ['cpsr', 'fpscr', 'fpexc', 'tls', 'tlsRw'] as const) {
    if (a[k] !== b[k]) out.push({ name: k, from: hex(a[k]), to: hex(b[k]) });
  }
  a.d.forEach((v, i) => v !== b.d[i] && out.push({ name: `d${i}`, from: '0x' + v, to: '0x' + b.d[i] }));
  return out;
}

function diffFiles(a: VfsRecord, b: VfsRecord): FileDiff[] {
  const key = (n: VfsRecord['nodes'][number]) => JSON.stringify(n);
  const ma = new Map(a.nodes.map((n) => [n.path, key(n)]));
  const mb = new Map(b.nodes.map((n) => [n.path, key(n)]));
  const out: FileDiff[] = [];
  for (const [p, v] of mb) {
    if (!ma.has(p)) out.push({ path: p, change: 'added' });
    else if (ma.get(p) !== v) out.push({ path: p, change: 'changed' });
  }
  for (const p of ma.keys()) if (!mb.has(p)) out.push({ path: p, change: 'removed' });
  return out.sort((x, y) => x.path.localeCompare(y.path));
}

/** A checkpoint's processes: live threads and, for the others than the first, their pages by index. */
function processesOf(m: CheckpointManifest): Map<number, { first: boolean; threads: TaskState[]; pages: Map<number, string> }> {
  const out = new Map<number, { first: boolean; threads: TaskState[]; pages: Map<number, string> }>();
  const s = m.state;
  if (!s.group.exit) out.set(s.group.pid, { first: true, threads: s.tasks, pages: new Map() });
  for (const rec of s.procs?.others ?? []) {
    const listed = rec.space === 0 ? undefined : m.spaces?.[rec.space - 1];
    out.set(rec.group.pid, { first: false, threads: rec.group.exit ? [] : rec.tasks, pages: new Map(listed?.pages ?? []) });
  }
  return out;
}

/** Each process's difference from A to B; the first process's pages are `firstPages`. */
function diffProcesses(a: CheckpointManifest, b: CheckpointManifest, firstPages: ProcessDiff['pages']): ProcessDiff[] {
  const pa = processesOf(a);
  const pb = processesOf(b);
  const pids = [...new Set([...pa.keys(), ...pb.keys()])].sort((x, y) => x - y);
  return pids.map((pid): ProcessDiff => {
    const x = pa.get(pid);
    const y = pb.get(pid);
    const pages = { added: 0, changed: 0, removed: 0 };
    if (x?.first || y?.first) Object.assign(pages, firstPages);
    else {
      for (const [page, h] of y?.pages ?? []) {
        const before = x?.pages.get(page);
        if (before === undefined) pages.added++;
        else if (before !== h) pages.changed++;
      }
      for (const page of x?.pages.keys() ?? []) if (!y?.pages.has(page)) pages.removed++;
    }
    const regs = y && x ? y.threads.filter((t) => x.threads.some((u) => u.tid === t.tid && diffRegisters(u.cpu, t.cpu).length > 0)).length : 0;
    const change = !x
      ? 'added'
      : !y
        ? 'ended'
        : pages.added + pages.changed + pages.removed + regs > 0 || x.threads.length !== y.threads.length
          ? 'changed'
          : 'unchanged';
    return { pid, change, threads: [x?.threads.length ?? 0, y?.threads.length ?? 0], pages, threadsWithNewRegisters: regs };
  });
}

/** The difference from checkpoint A to checkpoint B. */
export function diffCheckpoints(a: CheckpointManifest, ta: PageTable, b: CheckpointManifest, tb: PageTable): CheckpointDiff {
  const regions = diffPages(ta, tb, a.state.regions, b.state.regions);
  const totals = regions.reduce(
    (t, r) => ({ added: t.added + r.added, changed: t.changed + r.changed, removed: t.removed + r.removed, bytes: t.bytes + r.bytes }),
    { added: 0, changed: 0, removed: 0, bytes: 0 },
  );
  return {
    from: a.id,
    to: b.id,
    instructions: Number(BigInt(b.state.instructions) - BigInt(a.state.instructions)),
    modelledSeconds: b.modelledSeconds - a.modelledSeconds,
    regions,
    totals,
    // The first process's first thread's registers (every thread is counted per process below).
    registers: diffRegisters(a.state.tasks[0].cpu, b.state.tasks[0].cpu),
    files: diffFiles(a.vfs, b.vfs),
    processes: diffProcesses(a, b, { added: totals.added, changed: totals.changed, removed: totals.removed }),
  };
}
