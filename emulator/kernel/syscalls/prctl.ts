/**
 * prctl(2) options a single process can use on itself: its name (also /proc/self/comm), the
 * dumpable flag, the parent-death signal and no_new_privs. Unknown options are EINVAL, as Linux.
 */
import { EINVAL } from '../../abi/errno';
import { KernelContext, SyscallTable } from '../context';

const PR_SET_PDEATHSIG = 1;
const PR_GET_PDEATHSIG = 2;
const PR_GET_DUMPABLE = 3;
const PR_SET_DUMPABLE = 4;
const PR_SET_NAME = 15;
const PR_GET_NAME = 16;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_GET_NO_NEW_PRIVS = 39;
/** TASK_COMM_LEN: names hold 15 bytes and a NUL. */
const COMM_LEN = 16;

/** What prctl can set, plain data so checkpoints capture it. */
export interface PrctlState {
  /** The thread name (comm), at most 15 bytes. */
  name: string;
  dumpable: number;
  pdeathsig: number;
  noNewPrivs: number;
}

/** The state after exec of `exePath`: the name is its last component, cut to 15 bytes. */
export function initialPrctlState(exePath: string): PrctlState {
  const base = exePath.slice(exePath.lastIndexOf('/') + 1);
  return { name: cutName(new TextEncoder().encode(base)), dumpable: 1, pdeathsig: 0, noNewPrivs: 0 };
}

/** The first 15 bytes, as Linux keeps them (a cut multi-byte character decodes as U+FFFD). */
function cutName(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, COMM_LEN - 1));
}

/** The process's prctl state, created on first use for states saved before it existed. */
export function prctlState(k: KernelContext): PrctlState {
  k.proc.prctl ??= initialPrctlState('');
  return k.proc.prctl;
}

function prctl(k: KernelContext, a: number[]): number {
  const [option, arg2, arg3, arg4, arg5] = a;
  const s = prctlState(k);
  switch (option) {
    case PR_SET_PDEATHSIG:
      if (arg2 > 64) return -EINVAL;
      s.pdeathsig = arg2;
      return 0;
    case PR_GET_PDEATHSIG:
      k.space.writeU32(arg2, s.pdeathsig);
      return 0;
    case PR_GET_DUMPABLE:
      return s.dumpable;
    case PR_SET_DUMPABLE:
      // 2 (root-only core dumps) is refused from user space, as in Linux.
      if (arg2 !== 0 && arg2 !== 1) return -EINVAL;
      s.dumpable = arg2;
      return 0;
    case PR_SET_NAME: {
      const raw = k.space.read(arg2, COMM_LEN);
      const end = raw.indexOf(0);
      s.name = cutName(end >= 0 ? raw.subarray(0, end) : raw);
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(COMM_LEN);
      out.set(new TextEncoder().encode(s.name).subarray(0, COMM_LEN - 1));
      k.space.write(arg2, out);
      return 0;
    }
    case PR_SET_NO_NEW_PRIVS:
      // It can be set, never cleared; the unused arguments must be zero.
      if (arg2 !== 1 || arg3 || arg4 || arg5) return -EINVAL;
      s.noNewPrivs = 1;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (arg2 || arg3 || arg4 || arg5) return -EINVAL;
      return s.noNewPrivs;
    default:
      return -EINVAL;
  }
}

/** The prctl syscall. */
export const prctlSyscalls: SyscallTable = { prctl };
