/** Helpers for the two list-carrying exchanges: the page-hash query's bitmap and page batches. */
import { HASH_BYTES } from '../snapshot/page-hash';
import { ErrorCode, ProtocolError } from './errors';
import { FrameOf, FrameType, MAX_FRAME_BYTES, PAGE_ENTRY_OVERHEAD } from './frames';
import { WirePage } from './page-codec';

/** Most hashes one query carries (well inside the frame maximum). */
export const MAX_QUERY_HASHES = 256 * 1024;

/** The answer to `query`: bit i set when `held(hash i)`. */
export function answerHaveQuery(query: FrameOf<FrameType.HaveQuery>, held: (hash: Uint8Array) => boolean): FrameOf<FrameType.HaveAnswer> {
  const count = query.hashes.length / HASH_BYTES;
  const bitmap = new Uint8Array(Math.ceil(count / 8));
  for (let i = 0; i < count; i++) if (held(query.hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES))) bitmap[i >> 3] |= 1 << (i & 7);
  return { type: FrameType.HaveAnswer, count, bitmap };
}

/** Whether the peer holds each queried hash, in query order; refused when the answer's count differs. */
export function readHaveAnswer(query: FrameOf<FrameType.HaveQuery>, answer: FrameOf<FrameType.HaveAnswer>): boolean[] {
  const count = query.hashes.length / HASH_BYTES;
  if (answer.count !== count) throw new ProtocolError(ErrorCode.Malformed, `HaveAnswer frame answers ${answer.count} hashes; ${count} were asked`);
  return Array.from({ length: count }, (_, i) => (answer.bitmap[i >> 3] & (1 << (i & 7))) !== 0);
}

/** Bytes of a page batch's payload other than its entries. */
const BATCH_HEADER = 4;

/** `pages` in page-batch frames, each within `maxFrame` bytes. */
export function pageBatches(pages: WirePage[], maxFrame = MAX_FRAME_BYTES): FrameOf<FrameType.PageBatch>[] {
  const batches: FrameOf<FrameType.PageBatch>[] = [];
  let current: WirePage[] = [];
  let size = 1 + BATCH_HEADER;
  for (const p of pages) {
    const entry = PAGE_ENTRY_OVERHEAD + p.data.length;
    if (current.length && size + entry > maxFrame) {
      batches.push({ type: FrameType.PageBatch, pages: current });
      current = [];
      size = 1 + BATCH_HEADER;
    }
    current.push(p);
    size += entry;
  }
  if (current.length) batches.push({ type: FrameType.PageBatch, pages: current });
  return batches;
}
