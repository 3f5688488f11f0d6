/**
 * prctl(2) options a single process can use on itself: its thread's name (also /proc/self/comm),
 * the dumpable flag, the parent-death signal and no_new_privs. Unknown options are EINVAL, as
 * Linux. The name, parent-death signal and no_new_privs are per thread in Linux, dumpable per
 * process.
 */
import { EINVAL } from '../../abi/errno';
import {
  PR_GET_DUMPABLE,
  PR_GET_NAME,
  PR_GET_NO_NEW_PRIVS,
  PR_GET_PDEATHSIG,
  PR_SET_DUMPABLE,
  PR_SET_NAME,
  PR_SET_NO_NEW_PRIVS,
  PR_SET_PDEATHSIG,
  TASK_COMM_LEN,
} from '../../abi/prctl';
import { partial, syscallTable } from '../syscall-table';
import { cutComm, Task } from '../task';

function prctl(t: Task, a: number[]): number {
  const [option, arg2, arg3, arg4, arg5] = a;
  switch (option) {
    case PR_SET_PDEATHSIG:
      if (arg2 > 64) return -EINVAL;
      t.pdeathsig = arg2;
      return 0;
    case PR_GET_PDEATHSIG:
      t.space.writeU32(arg2, t.pdeathsig);
      return 0;
    case PR_GET_DUMPABLE:
      return t.group.dumpable;
    case PR_SET_DUMPABLE:
      // 2 (root-only core dumps) is refused from user space, as in Linux.
      if (arg2 !== 0 && arg2 !== 1) return -EINVAL;
      t.group.dumpable = arg2;
      return 0;
    case PR_SET_NAME: {
      const raw = t.space.read(arg2, TASK_COMM_LEN);
      const end = raw.indexOf(0);
      t.comm = cutComm(end >= 0 ? raw.subarray(0, end) : raw);
      return 0;
    }
    case PR_GET_NAME: {
      const out = new Uint8Array(TASK_COMM_LEN);
      out.set(new TextEncoder().encode(t.comm).subarray(0, TASK_COMM_LEN - 1));
      t.space.write(arg2, out);
      return 0;
    }
    case PR_SET_NO_NEW_PRIVS:
      // It can be set, never cleared; the unused arguments must be zero.
      if (arg2 !== 1 || arg3 || arg4 || arg5) return -EINVAL;
      t.noNewPrivs = 1;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      if (arg2 || arg3 || arg4 || arg5) return -EINVAL;
      return t.noNewPrivs;
    default:
      return -EINVAL;
  }
}

/** The prctl syscall. */
export const prctlSyscalls = syscallTable(
  { prctl },
  { prctl: partial('PR_SET_NAME/GET_NAME, dumpable, PDEATHSIG and NO_NEW_PRIVS only; every other option is EINVAL') },
);
