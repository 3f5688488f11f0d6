/**
 * Reading checkpoints written as format 1 (the release before snapshot versions): their manifest
 * held one machine state (versions 1 and 2) with a single `kernel.proc`; it is converted to the
 * current root state, field by field, so their stores restore exactly as before. Page tables,
 * pages and the writable layer's record kept their shape.
 */
import { ConsoleState } from '../kernel/console';
import { DescriptionState } from '../kernel/fd-table';
import { TaskState } from '../kernel/task';
import { ThreadGroupState } from '../kernel/thread-group';
import { BootSpec } from '../machine/boot-spec';
import { MachineState } from '../machine/machine-state';
import { SNAPSHOT_VERSION } from '../machine/state-version';
import { Region } from '../memory/address-space';
import { ClockState } from '../model/model-clock';
import { DeviceProfile } from '../model/profiles';
import { CheckpointFormatError } from './errors';

/** The CPU registers as format 1 kept them (the resume address sat beside them). */
interface Format1Cpu {
  r: number[];
  cpsr: number;
  fpscr: number;
  fpexc: number;
  tls: number;
  tlsRw: number;
  d: string[];
  /** Absent in machine state version 1. */
  exclusive?: { address: string; value: string };
}

/** Format 1's process record. */
interface Format1Proc {
  pid: number;
  ppid: number;
  uid: number;
  gid: number;
  cwd: string;
  brkStart: number;
  brk: number;
  mmapBase: number;
  mmapTop: number;
  clearChildTid: number;
  umask: number;
  signals: { actions: Record<number, number[]>; blocked: [number, number]; pending?: [number, number]; altstack: [number, number, number] };
  /** Absent in its earliest checkpoints. */
  prctl?: { name: string; dumpable: number; pdeathsig: number; noNewPrivs: number };
}

/** Format 1's machine state (versions 1 and 2). */
interface Format1State {
  version: number;
  instructions: string;
  resumeAddress: number;
  cpu: Format1Cpu;
  clock: Omit<ClockState, 'profile'>;
  profile: DeviceProfile;
  regions: Region[];
  kernel: {
    proc: Format1Proc;
    descriptions: (DescriptionState & { position?: number })[];
    fds: { fd: number; description: number; cloexec: boolean }[];
    rng: number[];
    syscalls: { total: number; counts: Record<string, number> };
    exit: { status: number; signal?: number } | null;
  };
}

/** The consoles a format-1 machine had: positions were kept only for those a descriptor named. */
const CONSOLES = ['/dev/stdin', '/dev/stdout', '/dev/stderr'];

/** The root state of a format-1 machine state. */
export function stateFromFormat1(s: Format1State): MachineState {
  const p = s.kernel.proc;
  // A process saved before prctl was tracked showed an empty name and was dumpable.
  const prctl = p.prctl ?? { name: '', dumpable: 1, pdeathsig: 0, noNewPrivs: 0 };
  const task: TaskState = {
    tid: p.pid,
    clearChildTid: p.clearChildTid,
    blocked: [...p.signals.blocked],
    pending: p.signals.pending ? [...p.signals.pending] : [0, 0],
    altstack: [...p.signals.altstack],
    comm: prctl.name,
    pdeathsig: prctl.pdeathsig,
    noNewPrivs: prctl.noNewPrivs,
    // Format 1 also kept r15 as the engine last showed it; the resume address is what counts.
    cpu: { ...s.cpu, r: s.cpu.r.slice(0, 15), pc: s.resumeAddress },
  };
  const group: ThreadGroupState = {
    pid: p.pid,
    ppid: p.ppid,
    uid: p.uid,
    gid: p.gid,
    cwd: p.cwd,
    umask: p.umask,
    brkStart: p.brkStart,
    brk: p.brk,
    mmapBase: p.mmapBase,
    mmapTop: p.mmapTop,
    actions: p.signals.actions,
    dumpable: prctl.dumpable,
    exit: s.kernel.exit,
  };
  const consoles: ConsoleState[] = CONSOLES.map((path) => {
    const position = s.kernel.descriptions.find((d) => d.kind === 'console' && d.path === path)?.position ?? 0;
    return { path, inputPos: path === '/dev/stdin' ? position : 0, written: path === '/dev/stdin' ? 0 : position };
  });
  return {
    instructions: s.instructions,
    clock: { ...s.clock, profile: s.profile },
    rng: s.kernel.rng,
    trace: { total: s.kernel.syscalls.total, counts: s.kernel.syscalls.counts },
    regions: s.regions,
    consoles,
    fds: {
      descriptions: s.kernel.descriptions.map(({ kind, path, offset, flags, dirCursor }) => ({ kind, path, offset, flags, dirCursor })),
      fds: s.kernel.fds,
    },
    group,
    tasks: [task],
  };
}

/** How format-1 manifests named the image around the state. */
interface Format1Image {
  name: string;
  exePath: string;
  argv: string[];
  env: string[];
  rootfs: unknown[];
  rootfsBase: string;
  seed: number;
}

/**
 * The boot record of a format-1 manifest, from its separate `image` and `profile` fields. The boot
 * cwd was not kept; the captured one stands in for it (restore uses the captured cwd either way).
 */
function bootFromFormat1(image: Format1Image, profile: DeviceProfile, cwd: string): BootSpec {
  return {
    name: image.name,
    program: { path: image.exePath },
    argv: image.argv,
    env: image.env,
    cwd,
    profile,
    rootfs: image.rootfs,
    rootfsBase: image.rootfsBase,
    seed: image.seed,
  };
}

/** A format-1 manifest with its state converted, its image and profile made a boot record, and the current version. */
export function fromFormat1(raw: object, id: string): { version: string; boot: BootSpec; state: MachineState } {
  const { format: _format, state, image, profile, ...rest } = raw as { format: number; state: Format1State; image: Format1Image; profile: DeviceProfile };
  if (!state || typeof state !== 'object' || (state.version !== 1 && state.version !== 2) || !state.kernel?.proc) {
    throw new CheckpointFormatError(
      `checkpoint ${id}: format 1 manifest with machine state version ${String(state?.version)}; this clonecloud reads machine state versions 1 and 2 of format 1`,
    );
  }
  if (!image || typeof image !== 'object' || !profile || typeof profile !== 'object') {
    throw new CheckpointFormatError(`checkpoint ${id}: format 1 manifest without its image or profile`);
  }
  return { ...rest, version: SNAPSHOT_VERSION, boot: bootFromFormat1(image, profile, state.kernel.proc.cwd), state: stateFromFormat1(state) };
}
