/**
 * Where common syscalls write their results in the caller's memory, so that the differential
 * tester can take the reference's bytes even where clonecloud's kernel wrote fewer or none
 * (pure; sizes are those of the ARM EABI structures).
 */
import { NR } from '../abi/syscall-names';

const PR_GET_NAME = 16;
const TIME_T_NULL = 0;

type Outputs = (a: number[], result: number) => [number, number][];

const TABLE: ReadonlyMap<number, Outputs> = new Map<number, Outputs>([
  [NR.read, (a, r) => [[a[1], r]]],
  [NR.pread64, (a, r) => [[a[1], r]]],
  [NR.readlink, (a, r) => [[a[1], r]]],
  [NR.readlinkat, (a, r) => [[a[2], r]]],
  [NR.getcwd, (a, r) => [[a[0], r]]],
  [NR.getrandom, (a, r) => [[a[0], r]]],
  [NR.getdents64, (a, r) => [[a[1], r]]],
  [NR.uname, (a) => [[a[0], 390]]],
  [NR.sysinfo, (a) => [[a[0], 64]]],
  [NR.gettimeofday, (a) => (a[0] ? [[a[0], 8]] : [])],
  [NR.time, (a) => (a[0] !== TIME_T_NULL ? [[a[0], 4]] : [])],
  [NR.clock_gettime, (a) => [[a[1], 8]]],
  [NR.clock_gettime64, (a) => [[a[1], 16]]],
  [NR.stat64, (a) => [[a[1], 96]]],
  [NR.lstat64, (a) => [[a[1], 96]]],
  [NR.fstat64, (a) => [[a[1], 96]]],
  [NR.fstatat64, (a) => [[a[2], 96]]],
  [NR.statx, (a) => [[a[4], 256]]],
  [NR.ugetrlimit, (a) => [[a[1], 8]]],
  [NR.prlimit64, (a) => (a[3] ? [[a[3], 16]] : [])],
  [NR.prctl, (a) => (a[0] === PR_GET_NAME ? [[a[1], 16]] : [])],
]);

/** The [address, length] ranges syscall `nr` wrote when it returned `result` (success only). */
export function syscallOutputs(nr: number, args: number[], result: number): [number, number][] {
  if ((result | 0) < 0 && (result | 0) > -4096) return [];
  const f = TABLE.get(nr);
  return f ? f(args, result).filter(([addr, len]) => addr !== 0 && len > 0 && len <= 1 << 20) : [];
}
