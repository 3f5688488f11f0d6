/** Identity and system-information syscalls: ids, uname, sysinfo, resource limits. */
import { EINVAL, EPERM, ESRCH } from '../../abi/errno';
import { PAGE_SIZE } from '../../memory/address-space';
import { memoryKb } from '../../vfs/vfs';
import { StructWriter } from '../guest-structs';
import { Task } from '../task';
import { partial, SUPPORTED, syscallTable } from '../syscall-table';

/** Kernel release reported by uname: glibc refuses to start on kernels older than 3.2. */
export const KERNEL_RELEASE = '6.1.0-clonecloud';

const RLIM_INFINITY = 0xffffffffffffffffn;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;

/** [soft, hard] limits for a resource. */
function limits(resource: number): [bigint, bigint] | undefined {
  if (resource < 0 || resource > 15) return undefined;
  if (resource === RLIMIT_STACK) return [8n * 1024n * 1024n, RLIM_INFINITY];
  if (resource === RLIMIT_NOFILE) return [1024n, 4096n];
  return [RLIM_INFINITY, RLIM_INFINITY];
}

function uname(t: Task, a: number[]): number {
  const w = new StructWriter(65 * 6);
  w.str(0, 'Linux', 65)
    .str(65, t.profile.id, 65)
    .str(130, KERNEL_RELEASE, 65)
    .str(195, '#1 SMP PREEMPT clonecloud', 65)
    .str(260, 'armv7l', 65)
    .str(325, '(none)', 65);
  t.space.write(a[0], w.bytes);
  return 0;
}

/**
 * sysinfo: RAM from the device profile, the process's resident pages as the only memory in use
 * (the same figures /proc/meminfo shows). Like Linux, sizes are in bytes (mem_unit 1) while they
 * fit in 32 bits, and in pages otherwise.
 */
function sysinfo(t: Task, a: number[]): number {
  const ram = t.profile.ramBytes;
  const mem = memoryKb(ram, ram - t.space.touched.count() * PAGE_SIZE);
  const unit = mem.total * 1024 > 0xffffffff ? PAGE_SIZE : 1;
  const inUnits = (kb: number) => Math.min(0xffffffff, (kb * 1024) / unit);
  const w = new StructWriter(64);
  w.u32(0, Math.floor(t.clock.seconds())).u32(16, inUnits(mem.total)).u32(20, inUnits(mem.free)).u16(40, 1).u32(52, unit);
  t.space.write(a[0], w.bytes);
  return 0;
}

/** Bytes of the kernel's CPU mask on a 32-bit kernel with up to 32 CPUs: one unsigned long. */
const CPUMASK_BYTES = 4;

/** The task a sched_*affinity call names: 0 is the caller, else any live thread by id. */
function affinityTarget(t: Task, pid: number): Task | undefined {
  return pid === 0 ? t : t.procs.findTask(pid);
}

/** The online cores as a mask (bit c for core c; 32 or more cores fill the one word). */
function onlineMask(t: Task): number {
  const cores = t.profile.cores;
  return cores >= 32 ? 0xffffffff : (1 << cores) - 1;
}

/**
 * sched_getaffinity: the task's mask, every CPU of the device profile unless it was pinned. As
 * in Linux, the buffer must hold a bit per CPU and be a whole number of longs, and the return
 * value is the bytes of the kernel's mask written.
 */
function schedGetaffinity(t: Task, a: number[]): number {
  const [pid, len, ptr] = a;
  const cores = t.profile.cores;
  if (len * 8 < cores || len % 4 !== 0) return -EINVAL;
  const target = affinityTarget(t, pid | 0);
  if (!target) return -ESRCH;
  const mask = new StructWriter(CPUMASK_BYTES).u32(0, (target.affinity ?? onlineMask(t)) >>> 0).bytes;
  const n = Math.min(len, CPUMASK_BYTES);
  t.space.write(ptr, mask.subarray(0, n));
  return n;
}

/** sched_setaffinity: pin a thread to the named online cores (EINVAL when none is online); the scheduler keeps it there. */
function schedSetaffinity(t: Task, a: number[]): number {
  const [pid, len, ptr] = a;
  const target = affinityTarget(t, pid | 0);
  if (!target) return -ESRCH;
  const bytes = t.space.read(ptr, Math.min(len, CPUMASK_BYTES));
  let word = 0;
  bytes.forEach((b, i) => (word |= b << (8 * i)));
  const mask = (word & onlineMask(t)) >>> 0;
  if (!mask) return -EINVAL;
  target.affinity = mask === onlineMask(t) >>> 0 ? undefined : mask;
  return 0;
}

function ugetrlimit(t: Task, a: number[]): number {
  const l = limits(a[0]);
  if (!l) return -EINVAL;
  const clamp = (v: bigint) => (v > 0xffffffffn ? 0xffffffff : Number(v));
  t.space.write(a[1], new StructWriter(8).u32(0, clamp(l[0])).u32(4, clamp(l[1])).bytes);
  return 0;
}

function prlimit64(t: Task, a: number[]): number {
  const [pid, resource, newPtr, oldPtr] = a;
  if (pid !== 0 && pid !== t.group.pid) return -ESRCH;
  const l = limits(resource);
  if (!l) return -EINVAL;
  if (oldPtr) t.space.write(oldPtr, new StructWriter(16).u64(0, l[0]).u64(8, l[1]).bytes);
  // Raising limits is not modelled; lowering is accepted and has no effect on the model.
  if (newPtr) t.space.read(newPtr, 16);
  return 0;
}

/** getgroups: the guest has no supplementary groups. */
function getgroups(_t: Task, a: number[]): number {
  return (a[0] | 0) < 0 ? -EINVAL : 0;
}

/** setgroups needs CAP_SETGID, which the guest never has. */
function setgroups(): number {
  return -EPERM;
}

/** The identity syscalls. */
export const identitySyscalls = syscallTable(
  {
    getpid: (t) => t.group.pid,
    gettid: (t) => t.tid,
    getppid: (t) => t.group.ppid,
    getuid32: (t) => t.group.uid,
    geteuid32: (t) => t.group.uid,
    getgid32: (t) => t.group.gid,
    getegid32: (t) => t.group.gid,
    getuid: (t) => t.group.uid,
    geteuid: (t) => t.group.uid,
    getgid: (t) => t.group.gid,
    getegid: (t) => t.group.gid,
    getresuid32(t, a) {
      for (const p of a.slice(0, 3)) t.space.writeU32(p, t.group.uid);
      return 0;
    },
    getresgid32(t, a) {
      for (const p of a.slice(0, 3)) t.space.writeU32(p, t.group.gid);
      return 0;
    },
    setuid32: (t, a) => (a[0] === t.group.uid ? 0 : -EPERM),
    getgroups32: getgroups,
    getgroups,
    setgroups32: setgroups,
    setgroups,
    setgid32: (t, a) => (a[0] === t.group.gid ? 0 : -EPERM),
    uname,
    sysinfo,
    sched_getaffinity: schedGetaffinity,
    sched_setaffinity: schedSetaffinity,
    ugetrlimit,
    prlimit64,
    umask(t, a) {
      const old = t.group.umask;
      t.group.umask = a[0] & 0o777;
      return old;
    },
  },
  {
    getpid: SUPPORTED,
    gettid: SUPPORTED,
    getppid: SUPPORTED,
    getuid32: SUPPORTED,
    geteuid32: SUPPORTED,
    getgid32: SUPPORTED,
    getegid32: SUPPORTED,
    getuid: SUPPORTED,
    geteuid: SUPPORTED,
    getgid: SUPPORTED,
    getegid: SUPPORTED,
    getresuid32: SUPPORTED,
    getresgid32: SUPPORTED,
    setuid32: partial('only the current user id can be set'),
    getgroups32: SUPPORTED,
    getgroups: SUPPORTED,
    setgroups32: partial('always EPERM (the guest has no CAP_SETGID)'),
    setgroups: partial('always EPERM (the guest has no CAP_SETGID)'),
    setgid32: partial('only the current group id can be set'),
    uname: SUPPORTED,
    sysinfo: SUPPORTED,
    sched_getaffinity: SUPPORTED,
    sched_setaffinity: SUPPORTED,
    ugetrlimit: SUPPORTED,
    prlimit64: SUPPORTED,
    umask: SUPPORTED,
  },
);
