/**
 * Child process for the store's kill tests, plus the page and checkpoint builders the tests
 * share with it. Run as:
 *   node store-worker.js <dir> commit <prefix> <count> <pagesEach>
 *   node store-worker.js <dir> prune <id>...
 * It prints "ready" just before the long operation, "committed <id>" after each commit and
 * "done" at the end, so the parent can time its SIGKILL.
 */
import { CheckpointRecord, CheckpointStore } from '../../emulator/store/store';
import { hashBytes, HASH_BYTES, initHashing } from '../../emulator/snapshot/page-hash';
import { encodePageTable } from '../../emulator/snapshot/page-table';

/** A 4 KiB page of pseudo-random bytes, different for every (seed, index). */
export function makePage(seed: number, index: number): Buffer {
  const page = Buffer.allocUnsafe(4096);
  let x = (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) | 1;
  for (let o = 0; o < 4096; o += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    page.writeInt32LE(x, o);
  }
  return page;
}

/** A checkpoint whose guest pages 0..n-1 hold `pages`, and the pages to offer with it. */
export function buildCheckpoint(
  id: string,
  parent: string | null,
  pages: Uint8Array[],
  extras: Uint8Array[] = [],
): { record: CheckpointRecord; newPages: [Uint8Array, Uint8Array][] } {
  const hashes = new Uint8Array(pages.length * HASH_BYTES);
  const newPages: [Uint8Array, Uint8Array][] = [];
  pages.forEach((p, i) => {
    const h = hashBytes(p);
    hashes.set(h, i * HASH_BYTES);
    newPages.push([h, p]);
  });
  const extraHashes = new Uint8Array(extras.length * HASH_BYTES);
  extras.forEach((b, i) => {
    const h = hashBytes(b);
    extraHashes.set(h, i * HASH_BYTES);
    newPages.push([h, b]);
  });
  const pageTable = encodePageTable({ pages: Uint32Array.from(pages, (_, i) => i), hashes });
  return { record: { id, parent, manifest: { id, parent, pages: pages.length }, pageTable, extraHashes }, newPages };
}

async function main(argv: string[]): Promise<void> {
  const [dir, mode, ...rest] = argv;
  await initHashing();
  const store = CheckpointStore.open(dir);
  if (mode === 'commit') {
    const [prefix, count, each] = [rest[0], Number(rest[1]), Number(rest[2])];
    // Build everything first so the kill lands in the commits, not in page generation.
    const batches = Array.from({ length: count }, (_, c) => {
      const seed = Number.parseInt(prefix.replace(/\D/g, '') || '0', 10) * 1000 + c;
      return buildCheckpoint(
        `${prefix}-${c}`,
        null,
        Array.from({ length: each }, (_, i) => makePage(seed, i)),
      );
    });
    process.stdout.write('ready\n');
    for (const b of batches) {
      store.commit(b.record, b.newPages);
      process.stdout.write(`committed ${b.record.id}\n`);
    }
  } else if (mode === 'prune') {
    process.stdout.write('ready\n');
    store.prune(rest);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  store.close();
  process.stdout.write('done\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
