/**
 * The state record a test program writes after each sequence, and comparing two of them.
 * Layout (little-endian): r0–r12, APSR, FPSCR, sequence number (16 words), d0–d31, then the
 * 256-byte scratch buffer the loads and stores work on.
 */

/** Offset of d0 in a record. */
export const RECORD_D = 64;
/** Offset of the scratch buffer in a record; the buffer lives right there in the program too. */
export const RECORD_SCRATCH = RECORD_D + 32 * 8;
/** Size of the scratch buffer. */
export const SCRATCH_SIZE = 256;
/** Bytes per record. */
export const RECORD_SIZE = RECORD_SCRATCH + SCRATCH_SIZE;

/** One field that differs between two records. */
export interface FieldDifference {
  field: string;
  /** Value under clonecloud, hex. */
  ours: string;
  /** Value under the reference (qemu-arm), hex. */
  reference: string;
}

/** The records in a program's output (a trailing partial record is ignored; the counts are compared separately). */
export function splitRecords(out: Uint8Array): Uint8Array[] {
  const n = Math.floor(out.length / RECORD_SIZE);
  return Array.from({ length: n }, (_, i) => out.subarray(i * RECORD_SIZE, (i + 1) * RECORD_SIZE));
}

function fieldName(wordIndex: number): string {
  if (wordIndex < 13) return `r${wordIndex}`;
  return ['apsr', 'fpscr', 'sequence'][wordIndex - 13];
}

function hex32(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}

/** Every field in which `ours` and `reference` differ (empty when equal). */
export function compareRecords(ours: Uint8Array, reference: Uint8Array): FieldDifference[] {
  const a = new DataView(ours.buffer, ours.byteOffset, ours.byteLength);
  const b = new DataView(reference.buffer, reference.byteOffset, reference.byteLength);
  const diffs: FieldDifference[] = [];
  for (let i = 0; i < 16; i++) {
    const x = a.getUint32(i * 4, true);
    const y = b.getUint32(i * 4, true);
    if (x !== y) diffs.push({ field: fieldName(i), ours: hex32(x), reference: hex32(y) });
  }
  for (let i = 0; i < 32; i++) {
    const x = a.getBigUint64(RECORD_D + i * 8, true);
    const y = b.getBigUint64(RECORD_D + i * 8, true);
    if (x !== y) diffs.push({ field: `d${i}`, ours: '0x' + x.toString(16).padStart(16, '0'), reference: '0x' + y.toString(16).padStart(16, '0') });
  }
  for (let off = 0; off < SCRATCH_SIZE; off += 4) {
    const x = a.getUint32(RECORD_SCRATCH + off, true);
    const y = b.getUint32(RECORD_SCRATCH + off, true);
    // Named relative to r11, the base the instructions use (the middle of the buffer).
    const rel = off - SCRATCH_SIZE / 2;
    if (x !== y) diffs.push({ field: `[r11${rel < 0 ? '-' : '+'}${Math.abs(rel)}]`, ours: hex32(x), reference: hex32(y) });
  }
  return diffs;
}
