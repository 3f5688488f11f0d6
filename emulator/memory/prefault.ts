/**
 * Faulting in guest pages ahead of a bulk write, on a native thread (native/prefault.c): a restore
 * reads pages from the store on the JavaScript thread while the pages it is about to fill are
 * allocated on another core, instead of taking one page fault per page inline.
 */
import { nativeMemory } from './native-memory';

const PAGE = 4096;

/**
 * Start faulting in `pages` (ascending page numbers) of the native guest `memory`, contents
 * unchanged; the returned function waits until that is done and must be called before the memory
 * is released. Writing the pages meanwhile is safe: populating never changes a page's bytes.
 */
export function prefaultPages(memory: Uint8Array, pages: Uint32Array): () => void {
  const limit = Math.floor(memory.byteLength / PAGE);
  for (let i = 0; i < pages.length; i++) {
    if (pages[i] >= limit || (i > 0 && pages[i] <= pages[i - 1])) throw new RangeError(`prefaultPages: page ${pages[i]} out of order or past ${limit} pages`);
  }
  const n = nativeMemory();
  const handle = pages.length ? n.cc_prefault_start(memory, pages, pages.length) : null;
  let joined = false;
  return () => {
    if (joined) return;
    joined = true;
    if (handle) n.cc_prefault_join(handle);
  };
}
