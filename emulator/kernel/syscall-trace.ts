/** A ring of the most recent syscalls, formatted only when a report needs them. */
import { syscallName } from '../abi/syscall-names';
import { Persist } from '../persist';

interface Entry {
  nr: number;
  args: number[];
  result: number;
}

/**
 * The counts a checkpoint keeps (the ring of recent calls is for fault reports and starts empty).
 * Part of the snapshot format: changing it needs a bump of the snapshot version
 * (machine/state-version.ts).
 */
export interface TraceState {
  total: number;
  counts: Record<string, number>;
}

/** Remembers the last `size` syscalls and per-name counts. */
export class SyscallTrace implements Persist<TraceState> {
  private ring: Entry[] = [];
  private next = 0;
  readonly counts = new Map<string, number>();
  total = 0;

  constructor(private readonly size = 8) {}

  /** Record one completed syscall. */
  record(nr: number, args: number[], result: number): void {
    const e = { nr, args, result };
    if (this.ring.length < this.size) this.ring.push(e);
    else this.ring[this.next] = e;
    this.next = (this.next + 1) % this.size;
    this.total++;
    const name = syscallName(nr);
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  /** The recorded syscalls, oldest first, as `name(0x.., ..) = result`. */
  recent(): string[] {
    const ordered = this.ring.length < this.size ? this.ring : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
    return ordered.map((e) => {
      const args = e.args
        .slice(0, 3)
        .map((v) => '0x' + (v >>> 0).toString(16))
        .join(', ');
      return `${syscallName(e.nr)}(${args}) = ${e.result}`;
    });
  }

  /** The counts. */
  save(): TraceState {
    return { total: this.total, counts: Object.fromEntries(this.counts) };
  }

  /** Take the counts of `s`; the ring of recent calls starts empty. */
  restore(s: TraceState): void {
    this.ring = [];
    this.next = 0;
    this.total = s.total;
    this.counts.clear();
    for (const [name, n] of Object.entries(s.counts)) this.counts.set(name, n);
  }
}
