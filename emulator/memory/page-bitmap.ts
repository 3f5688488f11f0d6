/**
 * A bitmap with one bit per 4 KiB guest page, stored in a SharedArrayBuffer so the native hooks
 * (dirty tracking) and JS read and write the same bits without copying. Whole-bitmap passes over
 * large bitmaps run natively (native/page-bits.c): a guest's bitmaps are 32,768 words, and until
 * V8 has compiled a loop over them each pass costs about a millisecond.
 */
import { nativeMemory } from './native-memory';

/** Bitmaps at least this many words long are passed over natively. */
const NATIVE_WORDS = 1024;

/** One bit per page, shared with the native hooks. */
export class PageBitmap {
  readonly words: Uint32Array;

  /** Wrap `buffer` (or allocate one) holding `pageCount` bits. */
  constructor(
    readonly pageCount: number,
    buffer?: SharedArrayBuffer,
  ) {
    const bytes = Math.ceil(pageCount / 32) * 4;
    this.words = new Uint32Array(buffer ?? new SharedArrayBuffer(bytes), 0, bytes / 4);
  }

  /** True when page `page` is set. */
  has(page: number): boolean {
    return (this.words[page >>> 5] & (1 << (page & 31))) !== 0;
  }

  /** Set the bit of one page. */
  set(page: number): void {
    this.words[page >>> 5] |= 1 << (page & 31);
  }

  /** Clear the bit of one page. */
  clear(page: number): void {
    this.words[page >>> 5] &= ~(1 << (page & 31));
  }

  /** Set the bits of pages [first, first+count). */
  setRange(first: number, count: number): void {
    for (let p = first; p < first + count; p++) this.set(p);
  }

  /** Clear the bits of pages [first, first+count). */
  clearRange(first: number, count: number): void {
    for (let p = first; p < first + count; p++) this.clear(p);
  }

  /** Clear every bit. */
  reset(): void {
    this.words.fill(0);
  }

  /** Number of set bits. */
  count(): number {
    if (this.words.length >= NATIVE_WORDS) return Number(nativeMemory().cc_bits_count(this.words, this.words.length));
    let n = 0;
    for (let i = 0; i < this.words.length; i++) n += popcount(this.words[i]);
    return n;
  }

  /** Number of set bits among pages [first, first+count), a word at a time. */
  countRange(first: number, count: number): number {
    const end = first + count;
    let n = 0;
    for (let p = first; p < end;) {
      const i = p >>> 5;
      const lo = p & 31;
      const hi = Math.min(32, end - i * 32);
      // Bits lo..hi-1 of word i.
      const mask = hi - lo === 32 ? 0xffffffff : ((2 ** (hi - lo) - 1) * 2 ** lo) >>> 0;
      n += popcount(this.words[i] & mask);
      p = i * 32 + hi;
    }
    return n;
  }

  /** The set pages, ascending. Skips empty words, so cost follows the set, not the size. */
  pages(): number[] {
    if (this.words.length >= NATIVE_WORDS) return listPages(this);
    const out: number[] = [];
    for (let i = 0; i < this.words.length; i++) {
      let w = this.words[i];
      while (w !== 0) {
        const bit = 31 - Math.clz32(w & -w);
        out.push(i * 32 + bit);
        w &= w - 1;
      }
    }
    return out;
  }
}

/** Add every page set in `other` (same size) to this bitmap. */
export function orInto(dst: PageBitmap, other: PageBitmap): void {
  if (dst.words.length !== other.words.length) throw new RangeError('orInto: bitmaps of different sizes');
  if (dst.words.length >= NATIVE_WORDS) {
    nativeMemory().cc_bits_or(dst.words, other.words, dst.words.length);
    return;
  }
  for (let i = 0; i < dst.words.length; i++) dst.words[i] |= other.words[i];
}

/** The pages set in `set` or in `or`, and in neither of `minus`, ascending (bitmaps of one size). */
export function listPages(set: PageBitmap, or?: PageBitmap, ...minus: PageBitmap[]): number[] {
  const n = set.words.length;
  for (const b of [or, ...minus]) if (b && b.words.length !== n) throw new RangeError('listPages: bitmaps of different sizes');
  if (minus.length > 2) throw new RangeError('listPages: at most two bitmaps to leave out');
  const lib = nativeMemory();
  const list = (out: Uint32Array) =>
    Number(lib.cc_bits_list(set.words, or?.words ?? null, minus[0]?.words ?? null, minus[1]?.words ?? null, n, out, out.length));
  let out = new Uint32Array(4096);
  const total = list(out);
  if (total > out.length) {
    out = new Uint32Array(total);
    list(out);
  }
  return Array.from(out.subarray(0, total));
}

function popcount(w: number): number {
  if (w === 0) return 0;
  w = w - ((w >>> 1) & 0x55555555);
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (((w + (w >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}
