/**
 * Futex wait queues. A waiter is keyed by its address space and the word's address (every
 * process has its own memory here: there is no memory shared between processes, so shared and
 * private futexes key alike). Queues are first come, first served, which keeps wake-ups
 * deterministic.
 */
import { AddressSpace } from '../memory/address-space';

/** One thread waiting on a futex word. */
export interface FutexWaiter {
  readonly tid: number;
  /** FUTEX_WAIT_BITSET's mask (all ones for FUTEX_WAIT). */
  readonly bitset: number;
  /** The word it waits on (moves with FUTEX_REQUEUE). */
  space: AddressSpace;
  addr: number;
  woken: boolean;
}

/** Every futex wait queue of the machine. */
export class FutexTable {
  private readonly queues_ = new Map<AddressSpace, Map<number, FutexWaiter[]>>();

  /** Queue a waiter on `space`'s word at `addr`. */
  enqueue(space: AddressSpace, addr: number, tid: number, bitset: number): FutexWaiter {
    const w: FutexWaiter = { tid, bitset, space, addr, woken: false };
    this.queue(space, addr, true)!.push(w);
    return w;
  }

  /** Take `w` off its queue (a timeout, a signal, or the task ended); no-op when already woken. */
  remove(w: FutexWaiter): void {
    const q = this.queue(w.space, w.addr, false);
    if (!q) return;
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    this.prune(w.space, w.addr);
  }

  /** Wake up to `n` waiters on the word whose bitset meets `bitset`; returns how many woke. */
  wake(space: AddressSpace, addr: number, n: number, bitset = 0xffffffff): number {
    const q = this.queue(space, addr, false);
    if (!q) return 0;
    let woke = 0;
    for (let i = 0; i < q.length && woke < n;) {
      if ((q[i].bitset & bitset) !== 0) {
        q[i].woken = true;
        q.splice(i, 1);
        woke++;
      } else {
        i++;
      }
    }
    this.prune(space, addr);
    return woke;
  }

  /** Wake up to `n` waiters on `addr` and move up to `m` of the rest to `to`; returns woken + moved. */
  requeue(space: AddressSpace, addr: number, n: number, to: number, m: number): number {
    const woke = this.wake(space, addr, n);
    const q = this.queue(space, addr, false);
    if (!q || to === addr) return woke + (q ? Math.min(m, q.length) : 0);
    const moved = q.splice(0, m);
    for (const w of moved) w.addr = to;
    if (moved.length) this.queue(space, to, true)!.push(...moved);
    this.prune(space, addr);
    return woke + moved.length;
  }

  /** Waiters on every word, for checkpoints and reports. */
  waiters(): FutexWaiter[] {
    const out: FutexWaiter[] = [];
    for (const byAddr of this.queues_.values()) for (const q of byAddr.values()) out.push(...q);
    return out;
  }

  /** Every non-empty queue, in the order wake-ups walk them (for checkpoints). */
  queues(): { space: AddressSpace; addr: number; waiters: FutexWaiter[] }[] {
    const out: { space: AddressSpace; addr: number; waiters: FutexWaiter[] }[] = [];
    for (const [space, byAddr] of this.queues_) for (const [addr, q] of byAddr) out.push({ space, addr, waiters: [...q] });
    return out;
  }

  /** Forget every queue (a checkpoint's are about to be put back with requeue()). */
  clear(): void {
    this.queues_.clear();
  }

  /** Put a saved waiter back at the end of its queue. */
  requeueSaved(w: FutexWaiter): void {
    this.queue(w.space, w.addr, true)!.push(w);
  }

  /** Forget every queue of `space` (the process's memory is gone). */
  dropSpace(space: AddressSpace): void {
    this.queues_.delete(space);
  }

  private queue(space: AddressSpace, addr: number, create: boolean): FutexWaiter[] | undefined {
    let byAddr = this.queues_.get(space);
    if (!byAddr) {
      if (!create) return undefined;
      byAddr = new Map();
      this.queues_.set(space, byAddr);
    }
    let q = byAddr.get(addr);
    if (!q && create) {
      q = [];
      byAddr.set(addr, q);
    }
    return q;
  }

  private prune(space: AddressSpace, addr: number): void {
    const byAddr = this.queues_.get(space);
    if (byAddr?.get(addr)?.length === 0) byAddr.delete(addr);
    if (byAddr?.size === 0) this.queues_.delete(space);
  }
}
