/**
 * The Linux ARM EABI kernel layer: one process's kernel state and the syscall dispatcher.
 * Handlers live in per-topic modules under syscalls/; this file only routes and accounts.
 */
import { EFAULT, ENOSYS, ErrnoError } from '../abi/errno';
import { AddressSpace, GuestMemoryError } from '../memory/address-space';
import { ModelClock } from '../model/model-clock';
import { DeviceProfile } from '../model/profiles';
import { Vfs } from '../vfs/vfs';
import { CpuAccess, KernelContext, ProcessState, SyscallHandler, SyscallTable } from './context';
import { FdTable } from './fd-table';
import { GuestRandom } from './rng';
import { NR, syscallName } from '../abi/syscall-names';
import { SyscallTrace } from './syscall-trace';
import { attrSyscalls } from './syscalls/attrs';
import { fsSyscalls } from './syscalls/fs';
import { identitySyscalls } from './syscalls/identity';
import { ioSyscalls } from './syscalls/io';
import { memorySyscalls } from './syscalls/memory';
import { pollSyscalls } from './syscalls/poll';
import { prctlSyscalls } from './syscalls/prctl';
import { processSyscalls } from './syscalls/process';
import { signalSyscalls } from './syscalls/signals';
import { statfsSyscalls } from './syscalls/statfs';
import { timeSyscalls } from './syscalls/time';

/** Every implemented syscall, by number. */
const HANDLERS: ReadonlyMap<number, SyscallHandler> = buildTable([
  memorySyscalls,
  ioSyscalls,
  fsSyscalls,
  attrSyscalls,
  identitySyscalls,
  timeSyscalls,
  processSyscalls,
  prctlSyscalls,
  pollSyscalls,
  signalSyscalls,
  statfsSyscalls,
]);

function buildTable(tables: SyscallTable[]): Map<number, SyscallHandler> {
  const out = new Map<number, SyscallHandler>();
  for (const t of tables) {
    for (const [name, fn] of Object.entries(t)) {
      const nr = NR[name];
      if (nr === undefined) throw new Error(`syscall table names unknown syscall ${name}`);
      out.set(nr, fn);
    }
  }
  return out;
}

/** Names of the implemented syscalls (for documentation and tests). */
export function implementedSyscalls(): string[] {
  return [...HANDLERS.keys()].map(syscallName).sort();
}

/** How the process ended. */
export interface ExitState {
  status: number;
  signal?: number;
}

/** Construction parameters of a Kernel. */
export interface KernelOptions {
  space: AddressSpace;
  cpu: CpuAccess;
  clock: ModelClock;
  profile: DeviceProfile;
  vfs: Vfs;
  fds: FdTable;
  seed: number;
  proc: ProcessState;
  /** Told once per unimplemented syscall. */
  warn: (message: string) => void;
  /** Asked to stop the CPU when the process exits. */
  onExit: () => void;
}

/**
 * Wraps the serving of one syscall: gets its number and arguments and a function that serves it
 * (with the arguments it is given), returns the value for r0. The differential tester uses it to
 * make placement and nondeterministic results follow the reference emulator.
 */
export type SyscallInterposer = (nr: number, args: number[], serve: (args: number[]) => number) => number;

/** One process's kernel. */
export class Kernel implements KernelContext {
  readonly space: AddressSpace;
  readonly cpu: CpuAccess;
  readonly clock: ModelClock;
  readonly profile: DeviceProfile;
  readonly vfs: Vfs;
  readonly fds: FdTable;
  readonly rng: GuestRandom;
  readonly proc: ProcessState;
  readonly trace = new SyscallTrace();
  exitState: ExitState | null = null;
  /** When set, every syscall is served through it. */
  interposer: SyscallInterposer | undefined;
  private readonly unknownSeen = new Set<number>();

  constructor(private readonly opts: KernelOptions) {
    this.space = opts.space;
    this.cpu = opts.cpu;
    this.clock = opts.clock;
    this.profile = opts.profile;
    this.vfs = opts.vfs;
    this.fds = opts.fds;
    this.proc = opts.proc;
    this.rng = new GuestRandom(opts.seed);
  }

  /** End the process. */
  exit(status: number, signal?: number): void {
    if (this.exitState) return;
    this.exitState = { status, signal };
    this.opts.onExit();
  }

  /** Serve the syscall the CPU is stopped at (SVC #0 with the number in r7); returns its number. */
  handleSyscall(): number {
    const cpu = this.cpu;
    const nr = cpu.r(7);
    const args = [cpu.r(0), cpu.r(1), cpu.r(2), cpu.r(3), cpu.r(4), cpu.r(5)];
    const result = this.interposer ? this.interposer(nr, args, (a) => this.dispatch(nr, a)) : this.dispatch(nr, args);
    cpu.setR(0, result);
    this.trace.record(nr, args, result);
    return nr;
  }

  /** Run syscall `nr` with `args`; returns what goes into r0. */
  dispatch(nr: number, args: number[]): number {
    const fn = HANDLERS.get(nr);
    if (!fn) {
      if (!this.unknownSeen.has(nr)) {
        this.unknownSeen.add(nr);
        this.opts.warn(`unimplemented syscall ${syscallName(nr)} (${nr}): returning ENOSYS`);
      }
      return -ENOSYS;
    }
    try {
      return fn(this, args);
    } catch (e) {
      if (e instanceof ErrnoError) return -e.errno;
      if (e instanceof GuestMemoryError) return -EFAULT;
      throw e;
    }
  }

  /** Syscalls the guest made that are not implemented. */
  unknownSyscalls(): string[] {
    return [...this.unknownSeen].map(syscallName);
  }
}
