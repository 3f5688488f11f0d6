/**
 * Checkpoint-speed benchmark on the memtouch image, which fills a large anonymous mapping and
 * then rewrites a known share of its pages per phase, making a getpid call after each step. The
 * machine is stopped at each of those markers and checkpointed there, so every incremental
 * checkpoint has a known number of dirty pages. Hashing and a plain copy of the same memory are
 * timed in the same run, at the same moment, so the two rates are comparable.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { BootSpec } from '../../emulator/machine/boot-spec';
import { HASH_BYTES, hashBytes, hashPages } from '../../emulator/snapshot/page-hash';
import { decodePageTable, encodePageTable } from '../../emulator/snapshot/page-table';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { NR } from '../../emulator/abi/syscall-names';
import { Machine } from '../../emulator/machine/machine';
import { DeviceProfile, findProfile } from '../../emulator/model/profiles';
import { PAGE_SIZE } from '../../emulator/memory/address-space';

/** Targets, guest stopped: an incremental checkpoint with 1 % of 192 MiB dirty, a full one of 192 MiB, a restore of 192 MiB. */
export const INCREMENTAL_TARGET_MS = 3;
export const FULL_TARGET_MS = 150;
export const RESTORE_TARGET_MS = 100;

/** Dirty shares of the timed phases, in percent of the mapping. */
const PHASES = ['0.1', '1', '10'];
/** Phases of the store-size run: with the first (full) checkpoint, ten checkpoints in all. */
const STORE_RUN_PHASES = Array<string>(9).fill('1');
const PROFILE = 'htc-g1';

/** A median and the samples it was taken from. */
export interface Sample {
  median: number;
  runs: number[];
}

/** Figures of one kind of capture across runs. */
export interface CaptureFigures {
  /** Time the guest was stopped (captureAsync: hashing, copying, queueing the write transaction). */
  captureMs: Sample;
  /** From the end of the stop until the checkpoint was durable (LMDB commit and sync, in the background). */
  durableMs: Sample;
  pagesScanned: number;
  newPages: number;
}

/** One incremental phase. */
export interface IncrementalRow extends CaptureFigures {
  /** Share of the mapping rewritten before the capture, in percent. */
  pct: string;
}

/** A timed pass over resident memory and its rate. */
export interface Pass {
  ms: Sample;
  bytes: number;
  gbPerSecond: number;
}

/** Store growth over ten successive checkpoints against ten full copies. */
export interface StoreSizeResult {
  args: string[];
  checkpoints: number;
  pages: number;
  pageBytes: number;
  diskBytes: number;
  fullCopyBytes: number;
  /** Full copies / page bytes. */
  dedupRatio: number;
  /** Full copies / LMDB file size. */
  diskRatio: number;
  /** The nine 1 % incremental captures of this run. */
  incrementalMs: Sample;
}

/** Result of the checkpoint-speed benchmark. */
export interface CheckpointSpeedResult {
  elf: string;
  args: string[];
  runs: number;
  residentPages: number;
  residentBytes: number;
  full: CaptureFigures & { gbPerSecond: number };
  /** One page at a time through xxhash-wasm (hashBytes). */
  hashing: Pass;
  /** The native batch (hashPages) capture and restore use, on the host's cores. */
  nativeHashing: Pass;
  /** The native batch hashing and copying into fresh memory, as a full capture does. */
  nativeHashCopyFresh: Pass;
  pageCopy: Pass;
  bulkCopy: Pass;
  pageTableEncodeMs: Sample;
  hashVsCopy: number;
  incremental: IncrementalRow[];
  targetMs: number;
  restoreMs: Sample;
  /** RAM of the profile the checkpoint was restored on (raised when the mapping exceeds the profile's). */
  restoreRamBytes: number;
  storeSize: StoreSizeResult;
}

/** One capture as measured. */
interface CaptureSample {
  id: string;
  captureMs: number;
  durableMs: number;
  pagesScanned: number;
  newPages: number;
  residentPages: number;
}

/** Passes over resident memory, timed right after the full capture. */
interface MemoryPasses {
  hashMs: number;
  nativeHashMs: number;
  nativeHashCopyFreshMs: number;
  pageCopyMs: number;
  bulkCopyMs: number;
  bulkBytes: number;
  encodeMs: number;
}

/** Everything one run of the timed phases measured. */
interface Trial {
  full: CaptureSample;
  passes: MemoryPasses;
  incrementals: CaptureSample[];
  restoreMs: number;
}

/** The guest program and where its paths resolve. */
export interface Guest {
  root: string;
  elfPath: string;
  elf: Uint8Array;
}

/** The median of `xs`. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** A median with its samples. */
export function sample(runs: number[]): Sample {
  return { median: median(runs), runs };
}

function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function gbPerSecond(bytes: number, ms: number): number {
  return bytes / (ms / 1000) / 1e9;
}

/** Let the 4 GiB guest reservation of a closed machine go before the next one is made. */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function runQemu(g: Guest, args: string[]): string {
  const r = spawnSync('qemu-arm', ['-0', 'memtouch', g.elfPath, ...args], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`qemu-arm failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Boot memtouch with `args` on a profile roomy enough for its mapping; its output goes to `out`. */
export function boot(g: Guest, args: string[], out: Buffer[]): Machine {
  const spec: BootSpec = {
    name: 'memtouch',
    program: { path: '/bin/memtouch' },
    argv: ['memtouch', ...args],
    env: ['HOME=/', 'LANG=C'],
    cwd: '/',
    // The profile's RAM bounds the guest's memory: make room for the mapping, the program and its stack.
    profile: roomyProfile((Number(args[0]) + 16) * 2 ** 20),
    rootfs: [],
    rootfsBase: g.root,
    seed: 1,
  };
  return new Machine(spec, { elf: g.elf, stdout: (b) => out.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined });
}

/** Run to the next getpid marker. */
export function toMarker(m: Machine): void {
  if (m.run(undefined, (nr) => nr === NR.getpid) !== 'syscall') throw new Error('memtouch ended before its next marker');
}

function toExit(m: Machine, out: Buffer[], expected: string, who: string): void {
  const how = m.run();
  const status = m.kernel.exitState?.status;
  if (how !== 'exited' || status !== 0) throw new Error(`${who}: memtouch did not exit cleanly (${how}, status ${status})`);
  if (Buffer.concat(out).toString() !== expected) throw new Error(`${who}: output differs from qemu-arm`);
}

/** Run `fn` on a store in a fresh temporary folder, removed afterwards. */
async function withStore<T>(fn: (store: CheckpointStore) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clonecloud-ckpt-bench-'));
  const store = CheckpointStore.open(dir);
  try {
    return await fn(store);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** One checkpoint: the guest's stop, then (waited for here) the background commit. */
async function capture(ck: Checkpointer): Promise<CaptureSample> {
  const { id, manifest, committed } = ck.captureAsync();
  const t0 = process.hrtime.bigint();
  await committed;
  const s = manifest.stats;
  return { id, captureMs: s.captureMs, durableMs: msSince(t0), pagesScanned: s.pagesScanned, newPages: s.newPages, residentPages: s.residentPages };
}

function pageView(bytes: Uint8Array, page: number): Uint8Array {
  return bytes.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
}

function timeHashing(bytes: Uint8Array, pages: Uint32Array): number {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (const p of pages) sink ^= hashBytes(pageView(bytes, p))[0];
  const ms = msSince(t0);
  if (sink > 255) throw new Error('unreachable'); // keeps the hashes observably used
  return ms;
}

/** hashPages over the pages, as capture and restore call it; then again copying into fresh memory, as a full capture does. */
function timeNativeHashing(bytes: Uint8Array, pages: Uint32Array): { hashMs: number; hashCopyFreshMs: number } {
  const out = new Uint8Array(pages.length * HASH_BYTES);
  let t0 = process.hrtime.bigint();
  hashPages(bytes, pages, out);
  const hashMs = msSince(t0);
  t0 = process.hrtime.bigint();
  const fresh = new Uint8Array(pages.length * PAGE_SIZE);
  hashPages(bytes, pages, out, new Uint8Array(pages.length), fresh);
  return { hashMs, hashCopyFreshMs: msSince(t0) };
}

/** A destination for the copies, faulted in first so that the kernel's page-zeroing is not what gets timed. */
function prefaulted(bytes: number): Uint8Array {
  const dst = new Uint8Array(bytes);
  dst.fill(1);
  return dst;
}

/** Page by page: the same gather pattern as capture, minus the hashing. */
function timePageCopy(bytes: Uint8Array, pages: Uint32Array, dst: Uint8Array): number {
  const t0 = process.hrtime.bigint();
  pages.forEach((p, i) => dst.set(pageView(bytes, p), i * PAGE_SIZE));
  return msSince(t0);
}

/** The longest run of consecutive pages, [first, end). */
function longestRun(pages: Uint32Array): [number, number] {
  let best: [number, number] = [0, 0];
  let start = 0;
  for (let i = 1; i <= pages.length; i++) {
    if (i < pages.length && pages[i] === pages[i - 1] + 1) continue;
    if (pages[i - 1] + 1 - pages[start] > best[1] - best[0]) best = [pages[start], pages[i - 1] + 1];
    start = i;
  }
  return best;
}

/** One set() of the longest contiguous run (the memtouch mapping): memcpy at its best. */
function timeBulkCopy(bytes: Uint8Array, pages: Uint32Array, dst: Uint8Array): { ms: number; bytes: number } {
  const [first, end] = longestRun(pages);
  const t0 = process.hrtime.bigint();
  dst.set(bytes.subarray(first * PAGE_SIZE, end * PAGE_SIZE));
  return { ms: msSince(t0), bytes: (end - first) * PAGE_SIZE };
}

function timeEncode(store: CheckpointStore, id: string): number {
  const table = decodePageTable(store.pageTable(id), `checkpoint ${id}`);
  const t0 = process.hrtime.bigint();
  encodePageTable(table);
  return msSince(t0);
}

/** Hash, copy and encode exactly the pages the full checkpoint holds. */
function measurePasses(store: CheckpointStore, id: string, bytes: Uint8Array): MemoryPasses {
  const pages = decodePageTable(store.pageTable(id), `checkpoint ${id}`).pages;
  const hashMs = timeHashing(bytes, pages);
  const native = timeNativeHashing(bytes, pages);
  const dst = prefaulted(pages.length * PAGE_SIZE);
  const pageCopyMs = timePageCopy(bytes, pages, dst);
  const bulk = timeBulkCopy(bytes, pages, dst);
  return {
    hashMs,
    nativeHashMs: native.hashMs,
    nativeHashCopyFreshMs: native.hashCopyFreshMs,
    pageCopyMs,
    bulkCopyMs: bulk.ms,
    bulkBytes: bulk.bytes,
    encodeMs: timeEncode(store, id),
  };
}

/** A copy of the profile with enough RAM for `residentBytes`, so restore does not refuse it. */
function roomyProfile(residentBytes: number): DeviceProfile {
  const p = findProfile(PROFILE);
  const mb = 2 ** 20;
  return { ...p, ramBytes: Math.max(p.ramBytes, Math.ceil(residentBytes / mb) * mb) };
}

/** Time restoreCheckpoint alone; then run the restored machine to its end as a correctness check. */
function timeRestore(store: CheckpointStore, id: string, profile: DeviceProfile, expected: string): number {
  const out: Buffer[] = [];
  const t0 = process.hrtime.bigint();
  const { machine } = restoreCheckpoint(store, id, { profile, stdout: (b) => out.push(Buffer.from(b)), stderr: () => undefined, warn: () => undefined });
  const ms = msSince(t0);
  try {
    toExit(machine, out, expected, `restored ${id}`);
  } finally {
    machine.close();
  }
  return ms;
}

/** Boot, capture at every marker, run to the end; `atFull` sees the machine right after the first capture. */
async function captureAll(
  g: Guest,
  args: string[],
  expected: string,
  store: CheckpointStore,
  atFull?: (m: Machine, c: CaptureSample) => void,
): Promise<CaptureSample[]> {
  const out: Buffer[] = [];
  const m = boot(g, args, out);
  try {
    const ck = new Checkpointer(store, m);
    const captures: CaptureSample[] = [];
    // One marker after the fill and one per phase: as many as there are arguments.
    for (let i = 0; i < args.length; i++) {
      toMarker(m);
      captures.push(await capture(ck));
      if (i === 0) atFull?.(m, captures[0]);
    }
    toExit(m, out, expected, 'memtouch');
    return captures;
  } finally {
    m.close();
  }
}

function speedTrial(g: Guest, args: string[], expected: string): Promise<Trial> {
  return withStore(async (store) => {
    let passes: MemoryPasses | undefined;
    const captures = await captureAll(g, args, expected, store, (m, full) => {
      passes = measurePasses(store, full.id, m.space.bytes);
    });
    collect();
    if (!passes) throw new Error('memtouch made no first marker');
    const [full, ...incrementals] = captures;
    const last = captures[captures.length - 1];
    const restoreMs = timeRestore(store, last.id, roomyProfile(last.residentPages * PAGE_SIZE), expected);
    collect();
    return { full, passes, incrementals, restoreMs };
  });
}

function storeSizeTrial(g: Guest, args: string[], expected: string): Promise<StoreSizeResult> {
  return withStore(async (store) => {
    const captures = await captureAll(g, args, expected, store);
    collect();
    const s = store.stats();
    const fullCopyBytes = captures.reduce((n, c) => n + c.residentPages * PAGE_SIZE, 0);
    return {
      args,
      checkpoints: captures.length,
      pages: s.pages,
      pageBytes: s.pageBytes,
      diskBytes: s.diskBytes,
      fullCopyBytes,
      dedupRatio: fullCopyBytes / s.pageBytes,
      diskRatio: fullCopyBytes / s.diskBytes,
      incrementalMs: sample(captures.slice(1).map((c) => c.captureMs)),
    };
  });
}

function captureFigures(xs: CaptureSample[]): CaptureFigures {
  return {
    captureMs: sample(xs.map((x) => x.captureMs)),
    durableMs: sample(xs.map((x) => x.durableMs)),
    pagesScanned: xs[0].pagesScanned,
    newPages: xs[0].newPages,
  };
}

function pass(runs: number[], bytes: number): Pass {
  const ms = sample(runs);
  return { ms, bytes, gbPerSecond: gbPerSecond(bytes, ms.median) };
}

function summarize(g: Guest, args: string[], trials: Trial[], storeSize: StoreSizeResult): CheckpointSpeedResult {
  const residentPages = trials[0].full.residentPages;
  const residentBytes = residentPages * PAGE_SIZE;
  const full = captureFigures(trials.map((t) => t.full));
  const hashing = pass(
    trials.map((t) => t.passes.hashMs),
    residentBytes,
  );
  const pageCopy = pass(
    trials.map((t) => t.passes.pageCopyMs),
    residentBytes,
  );
  const nativeHashing = pass(
    trials.map((t) => t.passes.nativeHashMs),
    residentBytes,
  );
  const nativeHashCopyFresh = pass(
    trials.map((t) => t.passes.nativeHashCopyFreshMs),
    residentBytes,
  );
  return {
    elf: path.relative(g.root, g.elfPath),
    args,
    runs: trials.length,
    residentPages,
    residentBytes,
    full: { ...full, gbPerSecond: gbPerSecond(residentBytes, full.captureMs.median) },
    hashing,
    nativeHashing,
    nativeHashCopyFresh,
    pageCopy,
    bulkCopy: pass(
      trials.map((t) => t.passes.bulkCopyMs),
      trials[0].passes.bulkBytes,
    ),
    pageTableEncodeMs: sample(trials.map((t) => t.passes.encodeMs)),
    hashVsCopy: nativeHashing.gbPerSecond / pageCopy.gbPerSecond,
    incremental: PHASES.map((pct, i) => ({ pct, ...captureFigures(trials.map((t) => t.incrementals[i])) })),
    targetMs: INCREMENTAL_TARGET_MS,
    restoreMs: sample(trials.map((t) => t.restoreMs)),
    restoreRamBytes: roomyProfile(trials[0].incrementals[PHASES.length - 1].residentPages * PAGE_SIZE).ramBytes,
    storeSize,
  };
}

/** Checkpoint a `sizeMb` MiB memtouch guest `runs` times (plus one store-size run); hashing must be initialised. */
export async function checkpointSpeed(root: string, sizeMb: number, runs: number, progress: (msg: string) => void): Promise<CheckpointSpeedResult> {
  const elfPath = path.join(root, 'images', 'memtouch', 'build', 'memtouch');
  const g: Guest = { root, elfPath, elf: new Uint8Array(fs.readFileSync(elfPath)) };
  const args = [String(sizeMb), ...PHASES];
  const storeArgs = [String(sizeMb), ...STORE_RUN_PHASES];
  // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
  const expected = runQemu(g, args);
  const storeExpected = runQemu(g, storeArgs);
  const trials: Trial[] = [];
  for (let i = 0; i < runs; i++) {
    progress(`checkpoint speed: memtouch ${args.join(' ')}: run ${i + 1}/${runs}`);
    trials.push(await speedTrial(g, args, expected));
  }
  progress(`checkpoint speed: store size, memtouch ${sizeMb} + 9 phases of 1 %`);
  const storeSize = await storeSizeTrial(g, storeArgs, storeExpected);
  progress('checkpoint speed: done');
  return summarize(g, args, trials, storeSize);
}

const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
const ms = (s: Sample): string => `${s.median.toFixed(1).padStart(8)} ms`;

function fullLines(r: CheckpointSpeedResult): string[] {
  const commit = (c: CaptureFigures) => `(durable ${c.durableMs.median.toFixed(1)} ms later)`;
  const rate = (p: Pass) => `${p.gbPerSecond.toFixed(2).padStart(6)} GB/s`;
  return [
    `  ${'full checkpoint (first marker, every page new)'.padEnd(52)} ${ms(r.full.captureMs)}  ${r.full.gbPerSecond.toFixed(2).padStart(6)} GB/s  ${commit(r.full)}  target < ${FULL_TARGET_MS} ms: ${r.full.captureMs.median < FULL_TARGET_MS ? 'met' : 'NOT met'}`,
    `  ${'hashing, native batch on the host cores (hashPages)'.padEnd(52)} ${ms(r.nativeHashing.ms)}  ${rate(r.nativeHashing)}`,
    `  ${'native hashing + copy into fresh memory (capture)'.padEnd(52)} ${ms(r.nativeHashCopyFresh.ms)}  ${rate(r.nativeHashCopyFresh)}`,
    `  ${'hashing page by page in wasm (hashBytes)'.padEnd(52)} ${ms(r.hashing.ms)}  ${rate(r.hashing)}`,
    `  ${'copy, page by page into a preallocated buffer'.padEnd(52)} ${ms(r.pageCopy.ms)}  ${rate(r.pageCopy)}`,
    `  ${`copy, one set() of the contiguous ${mb(r.bulkCopy.bytes)}`.padEnd(52)} ${ms(r.bulkCopy.ms)}  ${rate(r.bulkCopy)}`,
    `  ${'page-table encoding (all resident pages)'.padEnd(52)} ${ms(r.pageTableEncodeMs)}`,
    `  native hashing rate / page-copy rate: ${r.hashVsCopy.toFixed(3)}x; full-checkpoint rate / page-copy rate: ${(r.full.gbPerSecond / r.pageCopy.gbPerSecond).toFixed(3)}x`,
  ];
}

function incrementalLines(r: CheckpointSpeedResult): string[] {
  return r.incremental.map((row) => {
    const label = `incremental, ${row.pct} % dirty (${row.pagesScanned} pages scanned, ${row.newPages} new)`;
    const target = row.pct === '1' ? `  target < ${r.targetMs} ms: ${row.captureMs.median < r.targetMs ? 'met' : 'NOT met'}` : '';
    return `  ${label.padEnd(52)} ${ms(row.captureMs)}  (durable ${row.durableMs.median.toFixed(1)} ms later)${target}`;
  });
}

function storeLines(s: StoreSizeResult): string[] {
  return [
    `Store size, ${s.checkpoints} successive checkpoints (1 full + ${s.checkpoints - 1} incremental at 1 % dirty): memtouch ${s.args.join(' ')}, 1 run`,
    `  store page payload ${mb(s.pageBytes)} (${s.pages} pages), LMDB files ${mb(s.diskBytes)}; ${s.checkpoints} full copies ${mb(s.fullCopyBytes)}`,
    `  dedup ratio (full copies / page payload): ${s.dedupRatio.toFixed(2)}x; full copies / LMDB files: ${s.diskRatio.toFixed(2)}x`,
    `  the ${s.incrementalMs.runs.length} incremental captures at 1 % dirty: median ${s.incrementalMs.median.toFixed(1)} ms (min ${Math.min(...s.incrementalMs.runs).toFixed(1)}, max ${Math.max(...s.incrementalMs.runs).toFixed(1)}; target < ${INCREMENTAL_TARGET_MS} ms)`,
  ];
}

/** The report printed by `npm run bench`. */
export function describeCheckpointSpeed(r: CheckpointSpeedResult): string {
  const head = `Checkpoint speed: ${r.elf} ${r.args.join(' ')} (${r.residentPages} resident pages, ${mb(r.residentBytes)}), median of ${r.runs} runs, fresh store each`;
  const raised = r.restoreRamBytes > findProfile(PROFILE).ramBytes ? ` with RAM raised to ${mb(r.restoreRamBytes)} to hold it` : '';
  const restore = `  ${`restore of the ${PHASES[PHASES.length - 1]} % checkpoint into a new machine`.padEnd(52)} ${ms(r.restoreMs)}  (profile ${PROFILE}${raised}; target < ${RESTORE_TARGET_MS} ms: ${r.restoreMs.median < RESTORE_TARGET_MS ? 'met' : 'NOT met'})`;
  return [head, ...fullLines(r), ...incrementalLines(r), restore, ...storeLines(r.storeSize)].join('\n') + '\n';
}
