/**
 * What a call costs the phone run locally or offloaded, from its profile: pure arithmetic over
 * the device and link models, no I/O. Local: its instructions on the phone's CPU at active power.
 * Offloaded: the phone sits idle while the state the clone lacks goes up, the clone runs the
 * instructions on its CPU, and the pages the call dirtied come back; the radio is priced by the
 * link model (promotion, round trips, rates, tails).
 */
import { LinkMeter } from './link-meter';
import { LinkProfile } from './links';
import { DeviceProfile } from './profiles';

/** One call as the profile saw it. */
export interface CallShape {
  /** Instructions the call runs on the phone, and on the clone (its hardware description may change the work). */
  phoneInstructions: number;
  cloneInstructions: number;
  /** Bytes the sync before the call sends (state the clone lacks), and the bytes the call's increment brings back. */
  upBytes: number;
  downBytes: number;
}

/** Time and phone energy of one way of running a call. */
export interface Cost {
  seconds: number;
  joules: number;
}

/** Both ways of running a call, and the offloaded one's parts. */
export interface CallCost {
  local: Cost;
  offloaded: Cost & { upSeconds: number; cloneSeconds: number; downSeconds: number; radioJoules: number };
}

/** Bytes on the wire per page beyond its content: hash, batch entry and table entry. */
export const PAGE_OVERHEAD_BYTES = 40;
/** Bytes of the frames around a sync and a migration (handshake excluded): manifest, table, requests, acknowledgements. */
export const CALL_OVERHEAD_BYTES = 12 * 1024;

/** Seconds `instructions` take on `p`'s CPU. */
export function cpuSeconds(p: DeviceProfile, instructions: number): number {
  return instructions / (p.clockHz * p.ipc);
}

/** The cost of one call on `phone`, or offloaded to `clone` over `link`. */
export function callCost(call: CallShape, phone: DeviceProfile, clone: DeviceProfile, link: LinkProfile): CallCost {
  const localSeconds = cpuSeconds(phone, call.phoneInstructions);
  const meter = new LinkMeter(link);
  // The sync and the request: two exchanges and the state up; then the clone runs; then the return.
  const up = meter.transfer(0, call.upBytes + CALL_OVERHEAD_BYTES, 0, 3);
  const cloneSeconds = cpuSeconds(clone, call.cloneInstructions);
  const down = meter.transfer(up.seconds + cloneSeconds, 0, call.downBytes, 0);
  const seconds = up.seconds + cloneSeconds + down.seconds;
  meter.finish(seconds);
  const radioJoules = meter.totals().joules;
  return {
    local: { seconds: localSeconds, joules: localSeconds * phone.cpuActiveW },
    offloaded: { seconds, joules: seconds * phone.cpuIdleW + radioJoules, upSeconds: up.seconds, cloneSeconds, downSeconds: down.seconds, radioJoules },
  };
}

/** Bytes on the wire for `pages` pages of state. */
export function pageBytes(pages: number): number {
  return pages * (4096 + PAGE_OVERHEAD_BYTES);
}
