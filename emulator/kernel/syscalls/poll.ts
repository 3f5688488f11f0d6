/**
 * poll, ppoll, select, pselect6 and _newselect over every kind of descriptor: regular files,
 * directories and devices are always ready, consoles by role, pipes as Linux's pipe_poll says.
 * With nothing ready the call waits (WouldBlock) until something is or its timeout passes on the
 * modelled clock; the deadline is kept in `Task.progress` so a retry keeps the original one.
 */
import { EBADF, EINVAL } from '../../abi/errno';
import { O_ACCMODE, O_WRONLY } from '../../abi/fcntl';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDBAND, POLLRDNORM, POLLWRBAND, POLLWRNORM } from '../../abi/poll';
import { SIGSET_SIZE } from '../../abi/signal';
import { WouldBlock } from '../blocking';
import { Task } from '../task';
import { partial, syscallTable } from '../syscall-table';
import { MAX_FDS, OpenDescription } from '../fd-table';
import { StructWriter } from '../guest-structs';
import { readTimespec32, readTimespec64, writeTimespec32, writeTimespec64 } from './time';

/** select's readable, writable and exceptional sets in poll terms (Linux's POLLIN_SET...). */
const IN_SET = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
const OUT_SET = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
const EX_SET = POLLPRI;

/**
 * What a descriptor is ready for. Files, directories and devices get Linux's DEFAULT_POLLMASK
 * whatever their access mode; a console is readable (data or end of input) or writable by role;
 * a pipe end answers for itself.
 */
function readiness(d: OpenDescription): number {
  if (d.file.poll) return d.file.poll();
  if (d.file.kind !== 'console') return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
  return (d.flags & O_ACCMODE) === O_WRONLY ? POLLOUT | POLLWRNORM : POLLIN | POLLRDNORM;
}

/**
 * The deadline of a wait that started with `timeoutNs` (undefined: none). The first call
 * computes it from now; a retry after blocking finds it in `t.progress` (deadline + 1).
 */
function deadline(t: Task, timeoutNs: bigint | undefined): bigint | undefined {
  if (timeoutNs === undefined) return undefined;
  if (t.progress === 0) t.progress = Number(t.clock.monotonicNs() + timeoutNs) + 1;
  return BigInt(t.progress - 1);
}

/**
 * Check readiness with `count` (which writes its results when asked to) and wait while nothing is
 * ready: returns the count, 0 once the deadline passed, or throws WouldBlock. `t.progress` is
 * cleared whenever the call returns.
 */
function waitFor(t: Task, what: string, timeoutNs: bigint | undefined, count: (write: boolean) => number): number {
  const end = deadline(t, timeoutNs);
  let n: number;
  try {
    n = count(false);
  } catch (e) {
    t.progress = 0;
    throw e;
  }
  if (n === 0 && timeoutNs !== 0n && (end === undefined || t.clock.monotonicNs() < end)) {
    throw new WouldBlock({ ready: () => count(false) > 0, deadlineNs: end, what });
  }
  t.progress = 0;
  return count(true);
}

/** Fill in (when `write`) revents for every struct pollfd; returns how many have any. */
function scan(t: Task, fds: number, nfds: number, write: boolean): number {
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const at = fds + 8 * i;
    const fd = t.space.readU32(at) | 0;
    const events = t.space.readU32(at + 4) & 0xffff;
    let revents = 0;
    // A negative descriptor is skipped, reporting nothing.
    if (fd >= 0) revents = t.fds.has(fd) ? readiness(t.fds.get(fd)) & (events | POLLERR | POLLHUP) : POLLNVAL;
    if (write) t.space.write(at + 6, new Uint8Array([revents & 0xff, revents >> 8]));
    if (revents) ready++;
  }
  return ready;
}

/** The common part of poll and ppoll: `timeoutNs` undefined waits forever. */
function pollFor(t: Task, fds: number, nfds: number, timeoutNs: bigint | undefined): number {
  if (nfds > MAX_FDS) return -EINVAL;
  return waitFor(t, 'poll', timeoutNs, (write) => scan(t, fds, nfds, write));
}

function poll(t: Task, a: number[]): number {
  const [fds, nfds, timeoutMs] = a;
  const ms = timeoutMs | 0;
  return pollFor(t, fds, nfds, ms < 0 ? undefined : BigInt(ms) * 1_000_000n);
}

/** Time left before the wait's deadline, never negative (what Linux writes back). */
function remaining(t: Task, timeoutNs: bigint, started: bigint): bigint {
  const left = started + timeoutNs - t.clock.monotonicNs();
  return left > 0n ? left : 0n;
}

/** ppoll and ppoll_time64: a timespec timeout (written back as the time left) and a signal mask. */
function ppoll(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [fds, nfds, tsp, sigmask, sigsetsize] = a;
    let timeout: bigint | undefined;
    if (tsp) {
      timeout = (wide ? readTimespec64 : readTimespec32)(t, tsp);
      if (timeout === undefined) return -EINVAL;
    }
    // The mask would apply while waiting; no signal arrives asynchronously, so only check it.
    if (sigmask && sigsetsize !== SIGSET_SIZE) return -EINVAL;
    const started = startOf(t, timeout);
    const n = pollFor(t, fds, nfds, timeout);
    if (n >= 0 && tsp && timeout !== undefined && timeout !== 0n) {
      (wide ? writeTimespec64 : writeTimespec32)(t, tsp, remaining(t, timeout, started));
    }
    return n;
  };
}

/** When the wait began: now on the first call, else the kept deadline minus the timeout. */
function startOf(t: Task, timeoutNs: bigint | undefined): bigint {
  if (timeoutNs === undefined || t.progress === 0) return t.clock.monotonicNs();
  return BigInt(t.progress - 1) - timeoutNs;
}

/** The fd_set words (32-bit on ARM) at `addr` covering `n` descriptors; empty for NULL. */
function readSet(t: Task, addr: number, n: number): number[] {
  if (!addr) return [];
  const words: number[] = [];
  for (let i = 0; i < Math.ceil(n / 32); i++) words.push(t.space.readU32(addr + 4 * i));
  return words;
}

/** Whether descriptor `fd` is in a set read by readSet. */
function inSet(words: number[], fd: number): boolean {
  return ((words[fd >> 5] ?? 0) >>> (fd & 31)) & 1 ? true : false;
}

/**
 * The common part of select and pselect6: check the three sets, and with `write` store the
 * ready descriptors back into them; returns the count of bits set (EBADF for a closed one).
 */
function selectFor(t: Task, nArg: number, sets: [number, number, number], timeoutNs: bigint | undefined): number {
  if (nArg < 0) return -EINVAL;
  const n = Math.min(nArg, MAX_FDS);
  const asked = sets.map((addr) => readSet(t, addr, n));
  for (let fd = 0; fd < n; fd++) {
    if (asked.some((w) => inSet(w, fd)) && !t.fds.has(fd)) return -EBADF;
  }
  const masks = [IN_SET, OUT_SET, EX_SET];
  return waitFor(t, 'select', timeoutNs, (write) => {
    const out = asked.map((w) => w.map(() => 0));
    let count = 0;
    for (let fd = 0; fd < n; fd++) {
      if (!asked.some((w) => inSet(w, fd))) continue;
      // A descriptor closed while waiting reads as ready, as poll's POLLNVAL would.
      const ready = t.fds.has(fd) ? readiness(t.fds.get(fd)) : ~0;
      asked.forEach((w, i) => {
        if (inSet(w, fd) && ready & masks[i]) {
          out[i][fd >> 5] |= 1 << (fd & 31);
          count++;
        }
      });
    }
    if (write) {
      sets.forEach((addr, i) => {
        if (!addr) return;
        const w = new StructWriter(4 * out[i].length);
        out[i].forEach((v, j) => w.u32(4 * j, v >>> 0));
        t.space.write(addr, w.bytes);
      });
    }
    return count;
  });
}

/** select (_newselect): a struct timeval timeout, written back as the time left. */
function select(t: Task, a: number[]): number {
  const [n, inp, outp, exp, tvp] = a;
  let timeout: bigint | undefined;
  if (tvp) {
    const sec = t.space.readU32(tvp) | 0;
    const usec = t.space.readU32(tvp + 4) | 0;
    if (sec < 0 || usec < 0) return -EINVAL;
    timeout = BigInt(sec) * 1_000_000_000n + BigInt(usec) * 1000n;
  }
  const started = startOf(t, timeout);
  const r = selectFor(t, n | 0, [inp, outp, exp], timeout);
  if (r >= 0 && tvp && timeout !== undefined && timeout !== 0n) {
    const left = remaining(t, timeout, started);
    t.space.write(tvp, new StructWriter(8).u32(0, Number(left / 1_000_000_000n)).u32(4, Number((left % 1_000_000_000n) / 1000n)).bytes);
  }
  return r;
}

/** pselect6 and pselect6_time64: a timespec timeout (written back) and a {sigset, size} pair. */
function pselect6(wide: boolean) {
  return (t: Task, a: number[]): number => {
    const [n, inp, outp, exp, tsp, sig] = a;
    let timeout: bigint | undefined;
    if (tsp) {
      timeout = (wide ? readTimespec64 : readTimespec32)(t, tsp);
      if (timeout === undefined) return -EINVAL;
    }
    if (sig) {
      const mask = t.space.readU32(sig);
      if (mask && t.space.readU32(sig + 4) !== SIGSET_SIZE) return -EINVAL;
    }
    const started = startOf(t, timeout);
    const r = selectFor(t, n | 0, [inp, outp, exp], timeout);
    if (r >= 0 && tsp && timeout !== undefined && timeout !== 0n) {
      (wide ? writeTimespec64 : writeTimespec32)(t, tsp, remaining(t, timeout, started));
    }
    return r;
  };
}

const WAITS = 'waits on the modelled clock; the signal mask is checked, never applied (no signal arrives while waiting)';

/** The poll and select syscalls. */
export const pollSyscalls = syscallTable(
  {
    poll,
    ppoll: ppoll(false),
    ppoll_time64: ppoll(true),
    _newselect: select,
    pselect6: pselect6(false),
    pselect6_time64: pselect6(true),
  },
  {
    poll: partial('waits on the modelled clock; with one task only a timeout can end a wait (otherwise the guest is deadlocked)'),
    ppoll: partial(WAITS),
    ppoll_time64: partial(WAITS),
    _newselect: partial('waits on the modelled clock; POLLPRI (exceptional conditions) never happens'),
    pselect6: partial(WAITS),
    pselect6_time64: partial(WAITS),
  },
);
