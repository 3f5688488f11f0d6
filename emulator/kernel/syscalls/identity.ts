/** Identity and system-information syscalls: ids, uname, sysinfo, resource limits. */
import { EINVAL, EPERM, ESRCH } from '../../abi/errno';
import { PAGE_SIZE } from '../../memory/address-space';
import { memoryKb } from '../../vfs/vfs';
import { StructWriter } from '../guest-structs';
import { KernelContext, SyscallTable } from '../context';

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

function uname(k: KernelContext, a: number[]): number {
  const w = new StructWriter(65 * 6);
  w.str(0, 'Linux', 65)
    .str(65, k.profile.id, 65)
    .str(130, KERNEL_RELEASE, 65)
    .str(195, '#1 SMP PREEMPT clonecloud', 65)
    .str(260, 'armv7l', 65)
    .str(325, '(none)', 65);
  k.space.write(a[0], w.bytes);
  return 0;
}

/**
 * sysinfo: RAM from the device profile, the process's resident pages as the only memory in use
 * (the same figures /proc/meminfo shows). Like Linux, sizes are in bytes (mem_unit 1) while they
 * fit in 32 bits, and in pages otherwise.
 */
function sysinfo(k: KernelContext, a: number[]): number {
  const ram = k.profile.ramBytes;
  const mem = memoryKb(ram, ram - k.space.touched.count() * PAGE_SIZE);
  const unit = mem.total * 1024 > 0xffffffff ? PAGE_SIZE : 1;
  const inUnits = (kb: number) => Math.min(0xffffffff, (kb * 1024) / unit);
  const w = new StructWriter(64);
  w.u32(0, Math.floor(k.clock.seconds()))
    .u32(16, inUnits(mem.total))
    .u32(20, inUnits(mem.free))
    .u16(40, 1)
    .u32(52, unit);
  k.space.write(a[0], w.bytes);
  return 0;
}

function ugetrlimit(k: KernelContext, a: number[]): number {
  const l = limits(a[0]);
  if (!l) return -EINVAL;
  const clamp = (v: bigint) => (v > 0xffffffffn ? 0xffffffff : Number(v));
  k.space.write(a[1], new StructWriter(8).u32(0, clamp(l[0])).u32(4, clamp(l[1])).bytes);
  return 0;
}

function prlimit64(k: KernelContext, a: number[]): number {
  const [pid, resource, newPtr, oldPtr] = a;
  if (pid !== 0 && pid !== k.proc.pid) return -ESRCH;
  const l = limits(resource);
  if (!l) return -EINVAL;
  if (oldPtr) k.space.write(oldPtr, new StructWriter(16).u64(0, l[0]).u64(8, l[1]).bytes);
  // Raising limits is not modelled; lowering is accepted and has no effect on the model.
  if (newPtr) k.space.read(newPtr, 16);
  return 0;
}

/** getgroups: the guest has no supplementary groups. */
function getgroups(_k: KernelContext, a: number[]): number {
  return (a[0] | 0) < 0 ? -EINVAL : 0;
}

/** setgroups needs CAP_SETGID, which the guest never has. */
function setgroups(): number {
  return -EPERM;
}

/** The identity syscalls. */
export const identitySyscalls: SyscallTable = {
  getpid: (k) => k.proc.pid,
  gettid: (k) => k.proc.pid,
  getppid: (k) => k.proc.ppid,
  getuid32: (k) => k.proc.uid,
  geteuid32: (k) => k.proc.uid,
  getgid32: (k) => k.proc.gid,
  getegid32: (k) => k.proc.gid,
  getuid: (k) => k.proc.uid,
  geteuid: (k) => k.proc.uid,
  getgid: (k) => k.proc.gid,
  getegid: (k) => k.proc.gid,
  getresuid32(k, a) {
    for (const p of a.slice(0, 3)) k.space.writeU32(p, k.proc.uid);
    return 0;
  },
  getresgid32(k, a) {
    for (const p of a.slice(0, 3)) k.space.writeU32(p, k.proc.gid);
    return 0;
  },
  setuid32: (k, a) => (a[0] === k.proc.uid ? 0 : -EPERM),
  getgroups32: getgroups,
  getgroups,
  setgroups32: setgroups,
  setgroups,
  setgid32: (k, a) => (a[0] === k.proc.gid ? 0 : -EPERM),
  uname,
  sysinfo,
  ugetrlimit,
  prlimit64,
  umask(k, a) {
    const old = k.proc.umask;
    k.proc.umask = a[0] & 0o777;
    return old;
  },
};
