/** Little-endian encoders for the ARM EABI structures syscalls return (a DataView over a fresh buffer). */

/** A fixed-size structure being filled field by field. */
export class StructWriter {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }

  /** Unsigned 8-bit field. */
  u8(off: number, v: number): this {
    this.dv.setUint8(off, v);
    return this;
  }

  /** Unsigned 16-bit field. */
  u16(off: number, v: number): this {
    this.dv.setUint16(off, v, true);
    return this;
  }

  /** 32-bit field (signed or unsigned: same bits). */
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }

  /** 64-bit field. */
  u64(off: number, v: bigint | number): this {
    this.dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }

  /** Bytes of a string, NUL-padded to `len`. */
  str(off: number, s: string, len: number): this {
    const b = new TextEncoder().encode(s).subarray(0, len - 1);
    this.bytes.set(b, off);
    return this;
  }
}

/** Split nanoseconds into whole seconds and the remainder. */
export function splitNs(ns: bigint): { sec: bigint; nsec: number } {
  return { sec: ns / 1_000_000_000n, nsec: Number(ns % 1_000_000_000n) };
}
