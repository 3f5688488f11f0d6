/**
 * The counters the native hooks update, viewed from JS without copying. Slot numbers match the
 * enum in native/cchooks.c.
 */
const SLOTS = 16;
const enum Slot {
  Insns = 0,
  Budget = 1,
  Stopped = 2,
  Blocks = 3,
  TlbFills = 4,
  DirtyMarks = 5,
  FaultAddr = 6,
  FaultType = 7,
  FaultPerms = 8,
  ProbeAddr = 9,
  ProbeType = 10,
}

/** Read and reset the native hooks' counters. */
export class NativeCounters {
  readonly slots = new BigUint64Array(new SharedArrayBuffer(SLOTS * 8));

  constructor() {
    this.slots[Slot.Budget] = 0xffffffffffffffffn;
  }

  /** Instructions executed so far. */
  get instructions(): bigint {
    return this.slots[Slot.Insns];
  }

  set instructions(v: bigint) {
    this.slots[Slot.Insns] = v;
  }

  /** Emulation stops at the last block boundary that does not pass this instruction count. */
  setBudget(limit: bigint | undefined): void {
    this.slots[Slot.Budget] = limit ?? 0xffffffffffffffffn;
    this.slots[Slot.Stopped] = 0n;
  }

  /** True when the last stop was caused by the budget. */
  get budgetStopped(): boolean {
    return this.slots[Slot.Stopped] !== 0n;
  }

  /** Translated blocks entered (with instruction counting on): instructions / blocks is the mean block size. */
  get blocks(): bigint {
    return this.slots[Slot.Blocks];
  }

  /** Software-TLB misses served by the native callback. */
  get tlbFills(): bigint {
    return this.slots[Slot.TlbFills];
  }

  /** Clean pages turned dirty by guest stores. */
  get dirtyMarks(): bigint {
    return this.slots[Slot.DirtyMarks];
  }

  /** The last access the TLB-fill callback refused: address, uc_mem_type, page permission byte. */
  lastRefusal(): { address: number; type: number; perms: number } {
    return {
      address: Number(this.slots[Slot.FaultAddr]),
      type: Number(this.slots[Slot.FaultType]),
      perms: Number(this.slots[Slot.FaultPerms]),
    };
  }

  /** The access recorded by a fault probe, if it saw one. */
  probedAccess(): { address: number; type: number } | undefined {
    const type = Number(this.slots[Slot.ProbeType]);
    return type ? { address: Number(this.slots[Slot.ProbeAddr]), type } : undefined;
  }

  /** Forget the last refusal (so a later fault is not blamed on it). */
  clearRefusal(): void {
    this.slots[Slot.FaultType] = 0n;
  }
}
