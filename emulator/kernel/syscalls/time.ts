/** Time syscalls, all answered from the modelled clock (never the host's). */
import { EINVAL } from '../../abi/errno';
import { WouldBlock } from '../blocking';
import { StructWriter, splitNs } from '../guest-structs';
import { Task } from '../task';
import { SUPPORTED, syscallTable } from '../syscall-table';

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;
const CLOCK_PROCESS_CPUTIME_ID = 2;
const CLOCK_THREAD_CPUTIME_ID = 3;
const CLOCK_MONOTONIC_RAW = 4;
const CLOCK_REALTIME_COARSE = 5;
const CLOCK_MONOTONIC_COARSE = 6;
const CLOCK_BOOTTIME = 7;
const TIMER_ABSTIME = 1;

/** Nanoseconds on clock `id`, or undefined for an unknown clock. */
function clockNs(t: Task, id: number): bigint | undefined {
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
      return t.clock.realtimeNs();
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
      return t.clock.monotonicNs();
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return BigInt(Math.round(t.clock.busySeconds() * 1e9));
    default:
      return undefined;
  }
}

/** Store a struct old_timespec32. */
export function writeTimespec32(t: Task, addr: number, ns: bigint): void {
  const { sec, nsec } = splitNs(ns);
  t.space.write(addr, new StructWriter(8).u32(0, Number(sec)).u32(4, nsec).bytes);
}

/** Store a struct __kernel_timespec (64-bit fields). */
export function writeTimespec64(t: Task, addr: number, ns: bigint): void {
  const { sec, nsec } = splitNs(ns);
  t.space.write(addr, new StructWriter(16).u64(0, sec).u64(8, nsec).bytes);
}

/** Load a struct old_timespec32; undefined when it is not a valid duration. */
export function readTimespec32(t: Task, addr: number): bigint | undefined {
  const sec = t.space.readU32(addr) | 0;
  const nsec = t.space.readU32(addr + 4) | 0;
  if (sec < 0 || nsec < 0 || nsec >= 1e9) return undefined;
  return BigInt(sec) * 1_000_000_000n + BigInt(nsec);
}

/** Load a struct __kernel_timespec; undefined when it is not a valid duration. */
export function readTimespec64(t: Task, addr: number): bigint | undefined {
  const b = t.space.view(addr, 16);
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const sec = dv.getBigInt64(0, true);
  const nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) return undefined;
  return sec * 1_000_000_000n + nsec;
}

function clockGettime(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const ns = clockNs(t, a[0] | 0);
    if (ns === undefined) return -EINVAL;
    (wide ? writeTimespec64 : writeTimespec32)(t, a[1], ns);
    return 0;
  };
}

function clockGetres(wide: boolean) {
  return (t: Task, a: number[]): number => {
    if (clockNs(t, a[0] | 0) === undefined) return -EINVAL;
    if (a[1]) (wide ? writeTimespec64 : writeTimespec32)(t, a[1], 1n);
    return 0;
  };
}

/**
 * Sleep until a relative or absolute time: the task waits (others run, or the CPU idles) until
 * modelled time reaches the deadline, computed once on the first try. A signal that interrupts it
 * ends it early with EINTR (the scheduler's doing), the time left going to `rem` (for a relative
 * sleep) when given.
 */
function sleepFor(t: Task, clock: number, flags: number, ns: bigint | undefined, rem?: (left: bigint) => void): number {
  if (ns === undefined) return -EINVAL;
  const now = t.clock.monotonicNs();
  if (t.deadline === undefined) {
    if (flags & TIMER_ABSTIME) {
      const clockNow = clockNs(t, clock);
      if (clockNow === undefined) return -EINVAL;
      t.deadline = now + (ns - clockNow);
    } else {
      t.deadline = now + ns;
    }
  }
  const deadline = t.deadline;
  if (now >= deadline) {
    t.deadline = undefined;
    return 0;
  }
  const relative = !(flags & TIMER_ABSTIME);
  throw new WouldBlock({
    ready: () => false,
    deadlineNs: deadline,
    what: 'a sleep to end',
    interrupted: () => {
      if (rem && relative) rem(deadline - t.clock.monotonicNs());
    },
  });
}

const RUSAGE_SELF = 0;
const RUSAGE_CHILDREN = -1;
const RUSAGE_THREAD = 1;

/**
 * getrusage: user time is the modelled busy time (the kernel's own time is not modelled, so
 * system time is 0); the resident set and minor faults are the pages the process has touched.
 * There are no children. struct rusage is two 32-bit timevals and fourteen longs.
 */
function getrusage(t: Task, a: number[]): number {
  const [who, addr] = a;
  const w = new StructWriter(72);
  switch (who | 0) {
    case RUSAGE_SELF:
    case RUSAGE_THREAD: {
      const { sec, nsec } = splitNs(t.clock.busyNs());
      const pages = t.space.touched.count();
      w.u32(0, Number(sec)).u32(4, Math.floor(nsec / 1000));
      w.u32(16, pages * 4); // ru_maxrss, in KiB
      w.u32(32, pages); // ru_minflt
      break;
    }
    case RUSAGE_CHILDREN:
      break;
    default:
      return -EINVAL;
  }
  t.space.write(addr, w.bytes);
  return 0;
}

/** The time syscalls. */
export const timeSyscalls = syscallTable(
  {
    getrusage,
    clock_gettime: clockGettime(false),
    clock_gettime64: clockGettime(true),
    clock_getres: clockGetres(false),
    clock_getres_time64: clockGetres(true),
    gettimeofday(t, a) {
      const ns = t.clock.realtimeNs();
      const { sec, nsec } = splitNs(ns);
      if (a[0]) t.space.write(a[0], new StructWriter(8).u32(0, Number(sec)).u32(4, Math.floor(nsec / 1000)).bytes);
      if (a[1]) t.space.write(a[1], new Uint8Array(8));
      return 0;
    },
    nanosleep(t, a) {
      return sleepFor(t, CLOCK_MONOTONIC, 0, readTimespec32(t, a[0]), a[1] ? (left) => writeTimespec32(t, a[1], left) : undefined);
    },
    clock_nanosleep(t, a) {
      return sleepFor(t, a[0] | 0, a[1], readTimespec32(t, a[2]), a[3] ? (left) => writeTimespec32(t, a[3], left) : undefined);
    },
    clock_nanosleep_time64(t, a) {
      return sleepFor(t, a[0] | 0, a[1], readTimespec64(t, a[2]), a[3] ? (left) => writeTimespec64(t, a[3], left) : undefined);
    },
  },
  {
    getrusage: SUPPORTED,
    clock_gettime: SUPPORTED,
    clock_gettime64: SUPPORTED,
    clock_getres: SUPPORTED,
    clock_getres_time64: SUPPORTED,
    gettimeofday: SUPPORTED,
    nanosleep: SUPPORTED,
    clock_nanosleep: SUPPORTED,
    clock_nanosleep_time64: SUPPORTED,
  },
);
