/**
 * poll and ppoll over the descriptors a process can have today: regular files, directories,
 * device nodes and the console streams. None of them ever blocks, so readiness is immediate;
 * with nothing to watch, poll sleeps for its timeout in modelled time.
 */
import { EINVAL } from '../../abi/errno';
import { O_ACCMODE, O_WRONLY } from '../../abi/fcntl';
import { SIGKILL, SIGSET_SIZE } from '../../abi/signal';
import { Task } from '../task';
import { partial, syscallTable } from '../syscall-table';
import { MAX_FDS, OpenDescription } from '../fd-table';
import { readTimespec32, readTimespec64, writeTimespec32, writeTimespec64 } from './time';

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;

/**
 * What a descriptor is ready for. Files, directories and devices get Linux's DEFAULT_POLLMASK
 * whatever their access mode; a console is readable (data or end of input) or writable by role.
 */
function readiness(d: OpenDescription): number {
  if (d.file.kind !== 'console') return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
  return (d.flags & O_ACCMODE) === O_WRONLY ? POLLOUT | POLLWRNORM : POLLIN | POLLRDNORM;
}

/** Fill in revents for every struct pollfd; returns how many have any. */
function scan(t: Task, fds: number, nfds: number): number {
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const at = fds + 8 * i;
    const fd = t.space.readU32(at) | 0;
    const events = t.space.readU32(at + 4) & 0xffff;
    let revents = 0;
    // A negative descriptor is skipped, reporting nothing.
    if (fd >= 0) revents = t.fds.has(fd) ? readiness(t.fds.get(fd)) & (events | POLLERR | POLLHUP) : POLLNVAL;
    t.space.write(at + 6, new Uint8Array([revents & 0xff, revents >> 8]));
    if (revents) ready++;
  }
  return ready;
}

/**
 * The common part: `timeoutNs` undefined waits forever. With nothing ready the only way out is
 * the timeout; waiting forever in a single-threaded process is a deadlock, ended as futex does.
 * Returns the count and the time slept.
 */
function pollFor(t: Task, fds: number, nfds: number, timeoutNs: bigint | undefined): { n: number; slept: bigint } {
  if (nfds > MAX_FDS) return { n: -EINVAL, slept: 0n };
  const n = scan(t, fds, nfds);
  if (n > 0 || timeoutNs === 0n) return { n, slept: 0n };
  if (timeoutNs === undefined) {
    t.exit(128 + SIGKILL, SIGKILL);
    return { n: 0, slept: 0n };
  }
  t.clock.sleep(timeoutNs);
  return { n: 0, slept: timeoutNs };
}

function poll(t: Task, a: number[]): number {
  const [fds, nfds, timeoutMs] = a;
  const ms = timeoutMs | 0;
  return pollFor(t, fds, nfds, ms < 0 ? undefined : BigInt(ms) * 1_000_000n).n;
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
    const { n, slept } = pollFor(t, fds, nfds, timeout);
    if (n >= 0 && tsp && timeout !== undefined && timeout !== 0n) {
      (wide ? writeTimespec64 : writeTimespec32)(t, tsp, timeout - slept);
    }
    return n;
  };
}

const NEVER_BLOCKS = 'no descriptor ever blocks: readiness is immediate; waiting forever on nothing ends the process';
const MASK_UNUSED = `${NEVER_BLOCKS}; the signal mask is checked, never applied (no signal arrives while waiting)`;

/** The poll syscalls. */
export const pollSyscalls = syscallTable(
  { poll, ppoll: ppoll(false), ppoll_time64: ppoll(true) },
  {
    poll: partial(NEVER_BLOCKS),
    ppoll: partial(MASK_UNUSED),
    ppoll_time64: partial(MASK_UNUSED),
  },
);
