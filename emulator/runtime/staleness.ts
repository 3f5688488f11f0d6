/** How old the clone's copy of the phone is, averaged over a run: pure arithmetic over acknowledged syncs. */

/** An acknowledged sync: the modelled second its state was captured, and the one its last byte reached the clone. */
export interface MirrorUpdate {
  capturedAt: number;
  arrivedAt: number;
}

/**
 * The mirror's age averaged over the run [0, end]: at time t it is t minus the capture time of the
 * last sync that had arrived by t (t itself before the first arrival: the clone holds nothing of
 * this run). A sync arriving after the end does not count; on a slow link the mirror stays old for
 * the whole transfer.
 */
export function meanStaleness(updates: readonly MirrorUpdate[], end: number): number {
  if (end <= 0) return 0;
  // Age is t - base between arrivals; base is 0 (boot) before the first.
  let area = 0;
  let from = 0;
  let base = 0;
  for (const u of updates) {
    if (u.arrivedAt >= end) break;
    if (u.arrivedAt <= from) {
      base = Math.max(base, u.capturedAt);
      continue;
    }
    area += ((u.arrivedAt - base) ** 2 - (from - base) ** 2) / 2;
    from = u.arrivedAt;
    base = u.capturedAt;
  }
  area += ((end - base) ** 2 - (from - base) ** 2) / 2;
  return area / end;
}
