/** The figures a run reports, and their human rendering. */
import { GuestFaultInfo } from '../errors';

/** Everything `clonecloud boot` reports at exit. */
export interface RunSummary {
  image: string;
  profile: string;
  exitStatus: number;
  signal?: number;
  /** Set when the run did not end by itself: what stopped it (the exit status is then 124). */
  stoppedBy?: 'max-instructions';
  fault?: GuestFaultInfo;
  instructions: number;
  modelledSeconds: number;
  energyJoules: number;
  hostSeconds: number;
  mips: number;
  pagesDirtied: number;
  syscalls: number;
  syscallCounts: Record<string, number>;
  unimplementedSyscalls: string[];
}

/** A compact multi-line summary for stderr. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `--- clonecloud: ${s.image} on ${s.profile} ---`,
    `exit status     ${s.exitStatus}${s.signal ? ` (signal ${s.signal})` : ''}${s.stoppedBy ? ` (stopped by --${s.stoppedBy})` : ''}`,
    `instructions    ${s.instructions.toLocaleString('en-US')}`,
    `modelled time   ${formatSeconds(s.modelledSeconds)}`,
    `modelled energy ${s.energyJoules.toFixed(4)} J`,
    `host wall time  ${formatSeconds(s.hostSeconds)} (${s.mips.toFixed(1)} MIPS)`,
    `pages dirtied   ${s.pagesDirtied} (${((s.pagesDirtied * 4096) / 1048576).toFixed(2)} MiB)`,
    `syscalls        ${s.syscalls}`,
  ];
  if (s.unimplementedSyscalls.length) lines.push(`unimplemented   ${s.unimplementedSyscalls.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** Seconds with a unit that keeps three significant digits readable. */
export function formatSeconds(sec: number): string {
  if (sec >= 1) return `${sec.toFixed(3)} s`;
  if (sec >= 1e-3) return `${(sec * 1e3).toFixed(3)} ms`;
  return `${(sec * 1e6).toFixed(3)} µs`;
}
