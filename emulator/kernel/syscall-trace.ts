/** A ring of the most recent syscalls, formatted only when a report needs them. */
import { syscallName } from '../abi/syscall-names';

interface Entry {
  nr: number;
  args: number[];
  result: number;
}

/** Remembers the last `size` syscalls and per-name counts. */
export class SyscallTrace {
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
      const args = e.args.slice(0, 3).map((v) => '0x' + (v >>> 0).toString(16)).join(', ');
      return `${syscallName(e.nr)}(${args}) = ${e.result}`;
    });
  }
}
