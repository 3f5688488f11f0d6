/**
 * The machine's state apart from memory contents and file blocks: registers, memory map, kernel
 * (process, descriptors, signals, randomness, syscall counts), modelled clock and instruction
 * count. Plain JSON-able data, so a checkpoint manifest can carry it; applying it to an empty
 * machine (built without an ELF) puts the machine back exactly where it was captured.
 */
import { O_ACCMODE, O_APPEND, O_DIRECTORY, O_NONBLOCK } from '../abi/fcntl';
import { ConsoleStream } from '../kernel/console';
import { ProcessState } from '../kernel/context';
import { OpenDescription } from '../kernel/fd-table';
import { vfsFileObject } from '../kernel/file-object';
import { AddressSpace, Region } from '../memory/address-space';
import { Reg } from '../unicorn/constants';
import { displayName } from '../vfs/path';
import { CheckpointError } from '../snapshot/errors';
import { Machine } from './machine';
import { ClockState } from '../model/model-clock';
import { DeviceProfile } from '../model/profiles';

/** Version of this state's layout, checked when a checkpoint is loaded. */
export const MACHINE_STATE_VERSION = 2;
/** Versions this build restores: 1 differs only in having no exclusive monitor. */
const READABLE_VERSIONS = [1, 2];

/** CPU registers: core, status, VFP/NEON and the TLS registers. */
export interface CpuState {
  r: number[];
  cpsr: number;
  fpscr: number;
  fpexc: number;
  /** TPIDRURO (set_tls) and TPIDRURW. */
  tls: number;
  tlsRw: number;
  /** d0..d31 as 16 hex digits each. */
  d: string[];
  /**
   * The exclusive monitor (an LDREX waiting for its STREX): the marked address and the loaded
   * value as hex; absent when clear. Added in machine state version 2 (version 1: always clear).
   */
  exclusive?: { address: string; value: string };
}

/** An open file description. Files are reopened by path on restore. */
export interface DescriptionState {
  kind: 'console' | 'file' | 'dir';
  path: string;
  offset: number;
  flags: number;
  dirCursor: number;
  /** Consoles: bytes consumed (stdin) or written (stdout, stderr). */
  position?: number;
}

/** Everything the kernel layer holds for the process. */
export interface KernelState {
  proc: ProcessState;
  descriptions: DescriptionState[];
  fds: { fd: number; description: number; cloexec: boolean }[];
  rng: number[];
  syscalls: { total: number; counts: Record<string, number> };
  exit: { status: number; signal?: number } | null;
}

/** The whole non-memory state. */
export interface MachineState {
  version: number;
  instructions: string;
  resumeAddress: number;
  cpu: CpuState;
  clock: ClockState;
  /** The profile the state was captured on (for pricing the time already spent). */
  profile: DeviceProfile;
  regions: Region[];
  kernel: KernelState;
}

/** TPIDRURW, the user read/write thread register (CP15 c13, c0, 0, 2). */
const TPIDRURW = [13, 0, 0, 2] as const;

/** Capture the state of a stopped machine. */
export function captureState(m: Machine): MachineState {
  const e = m.engine;
  const cpu: CpuState = {
    r: Array.from({ length: 16 }, (_, i) => e.r(i)),
    cpsr: e.readReg(Reg.CPSR),
    fpscr: e.readReg(Reg.FPSCR),
    fpexc: e.readReg(Reg.FPEXC),
    tls: e.readReg(Reg.C13_C0_3),
    tlsRw: e.readCp15(...TPIDRURW),
    d: Array.from({ length: 32 }, (_, i) => e.readD(i).toString(16).padStart(16, '0')),
  };
  const monitor = e.exclusiveMonitor();
  if (monitor) cpu.exclusive = { address: monitor.address.toString(16), value: monitor.value.toString(16) };
  const k = m.kernel;
  const descs: OpenDescription[] = [];
  const fds = k.fds.entries().map(({ fd, desc, cloexec }) => {
    let i = descs.indexOf(desc);
    if (i < 0) i = descs.push(desc) - 1;
    return { fd, description: i, cloexec };
  });
  const descriptions = descs.map((d): DescriptionState => {
    if (d.file instanceof ConsoleStream) {
      const position = d.file.path === '/dev/stdin' ? d.file.inputPos : d.file.written;
      return { kind: 'console', path: d.file.path, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor, position };
    }
    return { kind: d.file.kind === 'dir' ? 'dir' : 'file', path: d.file.path, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
  });
  for (const d of descriptions) {
    if (d.kind !== 'console' && !existsIn(m, d.path)) {
      throw new CheckpointError(`an open file was deleted (${displayName(d.path)}): it cannot be reopened on restore, so no checkpoint can be taken now`);
    }
  }
  return {
    version: MACHINE_STATE_VERSION,
    instructions: m.instructions.toString(),
    resumeAddress: m.resumeAddress,
    cpu,
    clock: m.clock.save(),
    profile: { ...m.spec.profile },
    regions: m.space.regions().map((r) => ({ ...r })),
    kernel: {
      proc: JSON.parse(JSON.stringify(k.proc)) as ProcessState,
      descriptions,
      fds,
      rng: k.rng.save(),
      syscalls: { total: k.trace.total, counts: Object.fromEntries(k.trace.counts) },
      exit: k.exitState ? { ...k.exitState } : null,
    },
  };
}

function existsIn(m: Machine, path: string): boolean {
  try {
    m.vfs.stat(path, '/', false);
    return true;
  } catch {
    return false;
  }
}

/** How applyState treats the machine it is given. */
export interface ApplyOptions {
  /**
   * The machine has run (booted or restored, then run on): process fields the state does not
   * name are dropped rather than kept, as they were absent when the state was captured.
   */
  live?: boolean;
}

/**
 * Apply `s` to a machine whose VFS layer was already imported: one built without an ELF, or (with
 * `live`) a running one whose descriptors were closed first (closeAllFds). Regions are made to
 * match the state's; a newly mapped region is zero-filled and the caller writes page contents
 * afterwards.
 */
export function applyState(m: Machine, s: MachineState, opts: ApplyOptions = {}): void {
  if (!READABLE_VERSIONS.includes(s.version)) {
    throw new CheckpointError(`machine state version ${s.version}; this clonecloud reads versions ${READABLE_VERSIONS.join(' and ')}`);
  }
  syncRegions(m.space, s.regions);
  const e = m.engine;
  // Mode first: banked registers (SP, LR) belong to the mode CPSR selects.
  e.writeReg(Reg.CPSR, s.cpu.cpsr);
  s.cpu.r.forEach((v, i) => i !== 15 && e.setR(i, v));
  e.writeReg(Reg.FPEXC, s.cpu.fpexc);
  e.writeReg(Reg.FPSCR, s.cpu.fpscr);
  e.writeReg(Reg.C13_C0_3, s.cpu.tls);
  e.writeCp15(...TPIDRURW, s.cpu.tlsRw);
  s.cpu.d.forEach((hex, i) => e.writeD(i, BigInt('0x' + hex)));
  const x = s.cpu.exclusive;
  e.setExclusiveMonitor(x ? { address: BigInt('0x' + x.address), value: BigInt('0x' + x.value) } : undefined);
  m.resumeAddress = s.resumeAddress;
  e.counters.instructions = BigInt(s.instructions);
  m.clock.restore(s.clock, s.profile, BigInt(s.instructions));
  const k = m.kernel;
  if (opts.live) dropFieldsNotIn(k.proc, s.kernel.proc);
  Object.assign(k.proc, JSON.parse(JSON.stringify(s.kernel.proc)));
  k.rng.restore(s.kernel.rng);
  k.trace.total = s.kernel.syscalls.total;
  k.trace.counts.clear();
  for (const [name, n] of Object.entries(s.kernel.syscalls.counts)) k.trace.counts.set(name, n);
  k.exitState = s.kernel.exit ? { ...s.kernel.exit } : null;
  const consoles = new Map(m.consoles().map((c) => [c.path, c]));
  const descs = s.kernel.descriptions.map((d): OpenDescription => {
    if (d.kind === 'console') {
      const c = consoles.get(d.path);
      if (!c) throw new CheckpointError(`unknown console ${d.path} in checkpoint`);
      if (d.path === '/dev/stdin') c.inputPos = d.position ?? 0;
      else c.written = d.position ?? 0;
      return { file: c, offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
    }
    // Reopen without O_CREAT/O_TRUNC/O_EXCL: the file's contents come from the restored layer.
    const keep = O_ACCMODE | O_APPEND | O_NONBLOCK | (d.kind === 'dir' ? O_DIRECTORY : 0);
    const f = m.vfs.open(d.path, '/', d.flags & keep, 0);
    return { file: vfsFileObject(f), offset: d.offset, flags: d.flags, dirCursor: d.dirCursor };
  });
  for (const { fd } of k.fds.entries()) k.fds.close(fd);
  for (const { fd, description, cloexec } of s.kernel.fds) k.fds.installAt(fd, descs[description], cloexec);
  m.rearmDirtyTracking();
}

// Live apply: what applying a state to a machine that has already run needs beyond an empty one.
// (Kept apart: the Persist save/restore pairs will take these jobs over.)

/**
 * Make the memory map equal to `target`: regions not in it, or different, are unmapped (their
 * pages zeroed), then the missing ones are mapped. Regions that match keep their contents, so
 * only pages that differ need writing afterwards. On an empty space this maps every region.
 */
export function syncRegions(space: AddressSpace, target: readonly Region[]): void {
  const key = (r: Region) => `${r.start}:${r.end}:${r.prot}:${r.kind}:${r.name}`;
  const wanted = new Set(target.map(key));
  const current = space.regions().map((r) => ({ ...r }));
  const kept = new Set<string>();
  for (const r of current) {
    if (wanted.has(key(r))) kept.add(key(r));
    else space.unmap(r.start, r.end - r.start);
  }
  for (const r of target) if (!kept.has(key(r))) space.map(r.start, r.end - r.start, r.prot, r.kind, r.name);
}

/**
 * Close every descriptor of a running machine. Done before its VFS layer is replaced, so that
 * releasing a file (an unlinked one frees its storage) acts on the layer it belongs to.
 */
export function closeAllFds(m: Machine): void {
  for (const { fd } of m.kernel.fds.entries()) m.kernel.fds.close(fd);
}

/** Delete the fields of `live` that `saved` lacks (JSON drops undefined ones when capturing). */
function dropFieldsNotIn(live: object, saved: object): void {
  const target = live as Record<string, unknown>;
  for (const k of Object.keys(target)) if (!(k in saved)) delete target[k];
}
