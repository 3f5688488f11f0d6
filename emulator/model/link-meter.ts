/**
 * Prices syncs over a link: modelled transfer time and the phone's radio energy, tails included.
 * Time is kept in whole microseconds and energy in whole picojoules (microwatts x microseconds),
 * both as bigints, so a run's figures are exact and the same on every machine.
 */
import { ProfileError } from '../errors';
import { checkLink, LinkProfile } from './links';

/** What one transfer (or the final tail) cost. */
export interface LinkCost {
  /** Modelled seconds from the moment the phone asked to sync to the last byte. */
  seconds: number;
  /** Radio energy charged to it, in joules. */
  joules: number;
}

/** Everything a meter has priced so far. */
export interface LinkTotals extends LinkCost {
  transfers: number;
  bytesUp: number;
  bytesDown: number;
  /** Transfers that found the radio idle and paid its promotion. */
  promotions: number;
}

const US_PER_S = 1_000_000n;
const PJ_PER_J = 1e12;

/** Whole microseconds (or microwatts) of a figure given in seconds (or watts). */
function micro(x: number): bigint {
  return BigInt(Math.round(x * 1e6));
}

/** Microseconds to send `bytes` at `bps`, rounded up so that more bytes never take less time. */
function serializeUs(bytes: number, bps: number): bigint {
  const bits = BigInt(bytes) * 8n * US_PER_S;
  const rate = BigInt(bps);
  return (bits + rate - 1n) / rate;
}

/**
 * The radio of one phone on one link over a run. Each transfer is priced as: the radio's
 * promotion when it is idle, then round trips x RTT, then the upload and the download at the
 * link's rates. After the last byte the radio walks through its tail states (e.g. 3G: DCH, then
 * FACH, then IDLE); a transfer that starts during a tail finds the radio already up, pays no
 * promotion and restarts the tail. The tail between two transfers is charged to the later one
 * (how much of it ran depends on when that one starts); `finish` charges the last tail in full,
 * since the radio burns it whether or not the run goes on.
 */
export class LinkMeter {
  private readonly tailUs: bigint[];
  private readonly tailUW: bigint[];
  private readonly tailTotalUs: bigint;
  /** End of the last transfer, in microseconds; null while the radio is idle. */
  private lastEndUs: bigint | null = null;
  private lastStartUs: bigint | null = null;
  private sum = { us: 0n, pj: 0n, transfers: 0, bytesUp: 0, bytesDown: 0, promotions: 0 };

  constructor(readonly link: LinkProfile) {
    checkLink(link);
    this.tailUs = link.tails.map((t) => micro(t.seconds));
    this.tailUW = link.tails.map((t) => micro(t.watts));
    this.tailTotalUs = this.tailUs.reduce((a, b) => a + b, 0n);
  }

  /**
   * Price one sync the phone starts at `atSeconds` of modelled time: `up` bytes to the clone,
   * `down` bytes back, over `roundTrips` round trips. A sync asked for while the previous one is
   * still on the air starts when that one ends; the wait counts in its seconds.
   */
  transfer(atSeconds: number, up: number, down: number, roundTrips = 1): LinkCost {
    const atUs = this.checkTime(atSeconds);
    for (const [name, v] of [
      ['bytes up', up],
      ['bytes down', down],
      ['round trips', roundTrips],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0) throw new ProfileError(`link ${this.link.id}: ${name} must be a whole number of at least 0, got ${v}`);
    }
    const l = this.link;
    const startUs = this.lastEndUs !== null && this.lastEndUs > atUs ? this.lastEndUs : atUs;
    const gapUs = this.lastEndUs === null ? null : startUs - this.lastEndUs;
    const idle = gapUs === null || gapUs >= this.tailTotalUs;
    let pj = gapUs === null ? 0n : this.tailEnergy(gapUs);
    const promoUs = idle ? micro(l.promotionSeconds) : 0n;
    const rttUs = BigInt(roundTrips) * micro(l.rttSeconds);
    const upUs = serializeUs(up, l.uplinkBps);
    const downUs = serializeUs(down, l.downlinkBps);
    // Waiting on a round trip, the radio sits in its connected state: the first tail state's power.
    const connectedUW = this.tailUW[0] ?? 0n;
    pj += promoUs * micro(l.promotionW) + rttUs * connectedUW + upUs * micro(l.activeUpW) + downUs * micro(l.activeDownW);
    const endUs = startUs + promoUs + rttUs + upUs + downUs;
    this.lastStartUs = atUs;
    this.lastEndUs = endUs;
    const cost = { us: endUs - atUs, pj };
    this.sum.transfers++;
    this.sum.bytesUp += up;
    this.sum.bytesDown += down;
    if (idle) this.sum.promotions++;
    return this.add(cost);
  }

  /** End the run at `atSeconds`: charge the tail of the last transfer; the radio is idle after. */
  finish(atSeconds: number): LinkCost {
    this.checkTime(atSeconds);
    const pj = this.lastEndUs === null ? 0n : this.tailEnergy(this.tailTotalUs);
    this.lastEndUs = null;
    return this.add({ us: 0n, pj });
  }

  /** All that this meter has priced so far. */
  totals(): LinkTotals {
    const s = this.sum;
    return {
      seconds: Number(s.us) / 1e6,
      joules: Number(s.pj) / PJ_PER_J,
      transfers: s.transfers,
      bytesUp: s.bytesUp,
      bytesDown: s.bytesDown,
      promotions: s.promotions,
    };
  }

  private add(c: { us: bigint; pj: bigint }): LinkCost {
    this.sum.us += c.us;
    this.sum.pj += c.pj;
    return { seconds: Number(c.us) / 1e6, joules: Number(c.pj) / PJ_PER_J };
  }

  /** Picojoules of the first `us` microseconds of the tail (all of it when `us` is longer). */
  private tailEnergy(us: bigint): bigint {
    let left = us;
    let pj = 0n;
    for (let i = 0; i < this.tailUs.length && left > 0n; i++) {
      const spent = left < this.tailUs[i] ? left : this.tailUs[i];
      pj += spent * this.tailUW[i];
      left -= spent;
    }
    return pj;
  }

  /** Modelled time in whole microseconds; it may not go back before the previous transfer. */
  private checkTime(atSeconds: number): bigint {
    if (!Number.isFinite(atSeconds) || atSeconds < 0)
      throw new ProfileError(`link ${this.link.id}: a sync time must be a number of seconds of at least 0, got ${atSeconds}`);
    const us = micro(atSeconds);
    if (this.lastStartUs !== null && us < this.lastStartUs) {
      throw new ProfileError(
        `link ${this.link.id}: syncs must come in time order (${atSeconds} s is before the previous sync at ${Number(this.lastStartUs) / 1e6} s)`,
      );
    }
    return us;
  }
}
