/**
 * Page-codec measurement: which compressor the wire protocol uses for guest pages. Boots the
 * compute, fsscan and memtouch images, stops each at a few points of its run, collects the
 * non-zero pages it has touched, and compresses and decompresses every page one at a time with
 * each candidate, side by side in one run. A page that does not shrink is counted at 4096 bytes,
 * as the wire sends it raw. The figure that decides is bytes saved per CPU millisecond of
 * compression, since the phone compresses.
 *
 *   node dist/scripts/bench/page-codecs.js [--extra DIR]
 *
 * Built-in zlib codecs are always measured. Packages that are not dependencies of the project
 * (lz4-napi, snappy) are measured when installed in DIR (`npm install --prefix DIR lz4-napi snappy`).
 */
import { createRequire } from 'module';
import * as path from 'path';
import * as zlib from 'zlib';
import { PAGE_MAPPED, PAGE_SIZE } from '../../emulator/memory/address-space';
import { initHashing, isZero } from '../../emulator/snapshot/page-hash';
import { bootImage, collect } from '../../spec/support/images';

/** A codec under test: compress one page, and decompress it back. */
interface Candidate {
  name: string;
  compress(page: Buffer): Buffer;
  decompress(packed: Buffer): Buffer;
}

/** Figures of one codec over the whole sample. */
export interface CodecRow {
  name: string;
  pages: number;
  /** Bytes on the wire (a page that does not shrink counted raw). */
  wireBytes: number;
  /** Raw bytes over wire bytes. */
  ratio: number;
  compressMs: number;
  decompressMs: number;
  /** (raw - wire) bytes per millisecond of compression. */
  savedPerCompressMs: number;
  /** Pages sent raw because they did not shrink. */
  rawPages: number;
}

/** The candidates this host can run: zlib's always, packages from `extraDir` when present. */
function candidates(extraDir: string | undefined): Candidate[] {
  const list: Candidate[] = [
    ...[1, 6].map((level) => ({
      name: `deflate-raw level ${level}`,
      compress: (p: Buffer) => zlib.deflateRawSync(p, { level }),
      decompress: (c: Buffer) => zlib.inflateRawSync(c, { maxOutputLength: PAGE_SIZE }),
    })),
    ...[1, 4].map((quality) => ({
      name: `brotli quality ${quality}`,
      compress: (p: Buffer) =>
        zlib.brotliCompressSync(p, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: quality,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: PAGE_SIZE,
            [zlib.constants.BROTLI_PARAM_LGWIN]: 12,
          },
        }),
      decompress: (c: Buffer) => zlib.brotliDecompressSync(c, { maxOutputLength: PAGE_SIZE }),
    })),
  ];
  if (extraDir) {
    const req = createRequire(path.resolve(extraDir, 'package.json'));
    const tryLoad = (name: string): Record<string, (b: Buffer) => Buffer> | undefined => {
      try {
        return req(name) as Record<string, (b: Buffer) => Buffer>;
      } catch {
        console.log(`(${name} not installed in ${extraDir}: skipped)`);
        return undefined;
      }
    };
    const lz4 = tryLoad('lz4-napi');
    if (lz4) list.push({ name: 'lz4 (lz4-napi block)', compress: (p) => lz4.compressSync(p), decompress: (c) => lz4.uncompressSync(c) });
    const snappy = tryLoad('snappy');
    if (snappy) list.push({ name: 'snappy', compress: (p) => snappy.compressSync(p), decompress: (c) => snappy.uncompressSync(c) });
  }
  return list;
}

/** Stop points of each image, in instructions (the end of the run last). */
const STOPS: Record<string, bigint[]> = {
  compute: [20_000_000n, 200_000_000n],
  fsscan: [50_000_000n, 400_000_000n],
  memtouch: [100_000_000n],
};

/** Copies of the distinct non-zero touched pages of each image at its stop points. */
function samplePages(): Map<string, Buffer[]> {
  const byImage = new Map<string, Buffer[]>();
  for (const [image, stops] of Object.entries(STOPS)) {
    const seen = new Set<string>();
    const pages: Buffer[] = [];
    const run = bootImage(image);
    const { machine } = run;
    const take = () => {
      const space = machine.space;
      for (const p of space.touched.pages()) {
        if (!(space.perms[p] & PAGE_MAPPED)) continue;
        const bytes = space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
        if (isZero(bytes)) continue;
        const copy = Buffer.from(bytes);
        const key = copy.toString('base64');
        if (seen.has(key)) continue;
        seen.add(key);
        pages.push(copy);
      }
    };
    for (const stop of stops) {
      if (machine.run(stop) !== 'budget') break;
      take();
    }
    take();
    machine.close();
    collect();
    byImage.set(image, pages);
  }
  return byImage;
}

/** Time `fn` over every page, best of `rounds` passes (ms). */
function timed(pages: Buffer[], fn: (b: Buffer) => unknown, rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (const p of pages) fn(p);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

/** Measure every candidate over `pages`, checking each round trip. */
export function measure(pages: Buffer[], codecs: Candidate[]): CodecRow[] {
  return codecs.map((c) => {
    const packed = pages.map((p) => c.compress(p));
    packed.forEach((b, i) => {
      if (!c.decompress(b).equals(pages[i])) throw new Error(`${c.name}: round trip differs`);
    });
    const shrunk = packed.filter((b) => b.length < PAGE_SIZE);
    const wireBytes = packed.reduce((n, b) => n + Math.min(b.length, PAGE_SIZE), 0);
    const compressMs = timed(pages, (p) => c.compress(p), 3);
    const decompressMs = timed(shrunk, (b) => c.decompress(b), 3);
    const raw = pages.length * PAGE_SIZE;
    return {
      name: c.name,
      pages: pages.length,
      wireBytes,
      ratio: raw / wireBytes,
      compressMs,
      decompressMs,
      savedPerCompressMs: (raw - wireBytes) / compressMs,
      rawPages: pages.length - shrunk.length,
    };
  });
}

/** The table of `rows` as text. */
export function describe(title: string, rows: CodecRow[]): string {
  const lines = [
    `${title} (${rows[0]?.pages ?? 0} pages, ${(((rows[0]?.pages ?? 0) * PAGE_SIZE) / 1048576).toFixed(1)} MiB)`,
    `  ${'codec'.padEnd(24)} ${'ratio'.padStart(6)} ${'raw pages'.padStart(9)} ${'comp µs/pg'.padStart(10)} ${'decomp µs/pg'.padStart(12)} ${'saved KiB/ms'.padStart(12)}`,
  ];
  for (const r of rows) {
    lines.push(
      `  ${r.name.padEnd(24)} ${r.ratio.toFixed(2).padStart(6)} ${String(r.rawPages).padStart(9)} ${((r.compressMs * 1000) / r.pages).toFixed(1).padStart(10)} ${((r.decompressMs * 1000) / r.pages).toFixed(1).padStart(12)} ${(r.savedPerCompressMs / 1024).toFixed(1).padStart(12)}`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  await initHashing();
  const i = process.argv.indexOf('--extra');
  const codecs = candidates(i > 0 ? process.argv[i + 1] : undefined);
  const byImage = samplePages();
  const all: Buffer[] = [];
  for (const [image, pages] of byImage) {
    console.log(describe(image, measure(pages, codecs)));
    all.push(...pages);
  }
  console.log(describe('all images', measure(all, codecs)));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
