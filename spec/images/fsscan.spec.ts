/**
 * The fsscan image: a file-system scan whose data lives in a garbage-collected heap sized from the
 * device's RAM. Its one stdout line must not depend on the device, the heap size or the order a
 * directory lists its entries in, and must equal what an independent reading of the synthesized
 * tree predicts; its stderr must show the heap rule and the collector working harder as the heap
 * shrinks. Runs use a 1,000-entry tree so the whole file takes a few seconds.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { loadImage } from '../../emulator/image/manifest';
import { DeviceProfile, findProfile } from '../../emulator/model/profiles';
import { describeSynthTree, SynthDescribeInput } from '../../emulator/vfs/synth-index';
import { runElf, TestRun } from '../support/boot';
import { runQemu, tempDir } from '../support/toolchain';

const IMAGES = path.resolve(__dirname, '..', '..', '..', 'images');
const MB = 1024 * 1024;

/** The manifest's tree, shrunk to 1,000 entries. */
function tree(seed = 1): SynthDescribeInput & { type: 'synth' } {
  return {
    type: 'synth',
    target: '/sdcard',
    seed,
    entries: 1000,
    fanout: 8,
    maxDepth: 6,
    dirRatio: 0.1,
    fileSize: { min: 0, max: 65536, median: 2048 },
  };
}

interface ScanOptions {
  seed?: number;
  profile?: string;
  profileObject?: DeviceProfile;
  heapMb?: string;
}

/** What one run printed, with the figures stderr reports picked out. */
interface Scan {
  run: TestRun;
  stdout: string;
  stderr: string;
  heapLimit: number;
  collections: number;
  gcCpuNs: number;
  totalCpuNs: number;
}

/** The number after `label` on stderr. */
function figure(stderr: string, label: string): number {
  const m = new RegExp(`\\b${label} (\\d+)`).exec(stderr);
  assert.ok(m, `stderr reports ${label}:\n${stderr}`);
  return Number(m[1]);
}

function scan(elf: string, opts: ScanOptions = {}): Scan {
  const run = runElf(elf, {
    argv: ['fsscan', '/sdcard'],
    cwd: '/',
    rootfs: [tree(opts.seed)],
    profile: opts.profile,
    profileObject: opts.profileObject,
    env: opts.heapMb ? { FSSCAN_HEAP_MB: opts.heapMb } : {},
  });
  assert.equal(run.fault, undefined, run.fault?.message);
  assert.deepEqual(run.warnings, [], 'no unimplemented syscalls');
  const stderr = run.stderr.toString();
  assert.equal(run.status, 0, stderr);
  return {
    run,
    stdout: run.stdout.toString(),
    stderr,
    heapLimit: figure(stderr, 'heap limit'),
    collections: figure(stderr, 'collections'),
    gcCpuNs: figure(stderr, 'gc_cpu_ns'),
    totalCpuNs: figure(stderr, 'total_cpu_ns'),
  };
}

/** 32-bit FNV-1a. */
function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

/** Order strings by their bytes, as the program compares them. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * The summary line fsscan must print for `spec`, computed from describeSynthTree alone with the
 * serialization documented at index_checksum() in fsscan.c.
 */
function expectedLine(spec: SynthDescribeInput): string {
  const all = describeSynthTree(spec);
  const prefix = spec.target + '/';
  const files = all.filter((e) => e.type === 'file').map((e) => ({ path: e.path.slice(prefix.length), size: e.size, hash: fnv1a(e.content(0, 64)) }));
  const dirs = all.filter((e) => e.type === 'dir').length;

  const exts = new Map<string, { count: number; bytes: number }>();
  for (const f of files) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1);
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? name.slice(dot + 1) : '';
    const s = exts.get(ext) ?? { count: 0, bytes: 0 };
    s.count++;
    s.bytes += f.size;
    exts.set(ext, s);
  }
  const top = [...files].sort((a, b) => b.size - a.size || byBytes(a.path, b.path)).slice(0, 10);
  const sorted = [...files].sort((a, b) => byBytes(a.path, b.path));

  let text = '';
  for (const ext of [...exts.keys()].sort(byBytes)) text += `ext ${ext} ${exts.get(ext)!.count} ${exts.get(ext)!.bytes}\n`;
  for (const f of top) text += `top ${f.path} ${f.size}\n`;
  for (const f of sorted) text += `file ${f.path} ${f.size} ${f.hash.toString(16).padStart(8, '0')}\n`;
  const index = fnv1a(Buffer.from(text)).toString(16).padStart(8, '0');
  const bytes = files.reduce((n, f) => n + f.size, 0);
  return `fsscan: entries ${all.length} dirs ${dirs} files ${files.length} bytes ${bytes} index ${index}\n`;
}

/** Write the tree `spec` describes under `root`, directories and file contents alike. */
function materialize(spec: SynthDescribeInput, root: string): void {
  const prefix = spec.target + '/';
  for (const e of describeSynthTree(spec)) {
    const p = path.join(root, e.path.slice(prefix.length));
    if (e.type === 'dir') fs.mkdirSync(p, { recursive: true });
    else fs.writeFileSync(p, e.content(0, e.size));
  }
}

describe('fsscan image', () => {
  let elf: string;

  before(() => {
    const img = loadImage(path.join(IMAGES, 'fsscan'));
    assert.equal(img.manifest.profile, 'htc-g1');
    assert.deepEqual(img.manifest.program.argv, ['fsscan', '/sdcard']);
    elf = img.elfPath;
    assert.ok(fs.existsSync(elf), `${elf} is missing: run 'bash scripts/build-images.sh fsscan'`);
  });

  it('prints the same summary line on every profile', () => {
    const lines = ['htc-g1', 'macbook-pro', 'dell-t7400'].map((profile) => scan(elf, { profile }).stdout);
    assert.match(lines[0], /^fsscan: entries 1000 dirs \d+ files \d+ bytes \d+ index [0-9a-f]{8}\n$/);
    assert.equal(lines[1], lines[0]);
    assert.equal(lines[2], lines[0]);
  });

  it('sizes the heap as RAM / 12, clamped to [16, 256] MB', () => {
    const g1 = findProfile('htc-g1');
    const limitFor = (ramBytes: number): number => scan(elf, { profileObject: { ...g1, id: `g1-${ramBytes}`, ramBytes } }).heapLimit;
    assert.equal(limitFor(192 * MB), 16 * MB, 'the G1: 192 MB -> 16 MB');
    assert.equal(limitFor(1024 * MB), 85 * MB, '1 GB -> floor(1024 / 12) = 85 MB');
    assert.equal(limitFor(4096 * MB), 256 * MB, '4 GB -> 341 MB, clamped to 256 MB');
    assert.equal(limitFor(64 * MB), 16 * MB, '64 MB -> 5 MB, raised to 16 MB');
    assert.equal(scan(elf, { profile: 'dell-t7400' }).heapLimit, 256 * MB);
  });

  it('collects less as the heap grows, with the same output', () => {
    // The 1,000-entry scan keeps about 120 kB live but allocates about 8 MB, most of it an 8 KB
    // stream buffer per file read: a quarter-megabyte heap collects dozens of times, a 1 MB heap a
    // few times, and a 16 MB heap never.
    const runs = ['0.25', '1', '16'].map((heapMb) => scan(elf, { heapMb }));
    assert.deepEqual(
      runs.map((r) => r.heapLimit),
      [MB / 4, MB, 16 * MB],
    );
    const [small, medium, large] = runs.map((r) => r.collections);
    assert.ok(small > medium && medium > large, `collections ${small} > ${medium} > ${large}`);
    assert.ok(small >= 20, `a quarter-megabyte heap collects over and over (${small})`);
    assert.equal(large, 0, 'a 16 MB heap holds everything the 1,000-entry scan allocates');
    for (const r of runs) {
      assert.equal(r.stdout, runs[0].stdout);
      assert.ok(r.totalCpuNs > 0);
      assert.ok(r.gcCpuNs <= r.totalCpuNs);
      assert.equal(r.gcCpuNs > 0, r.collections > 0, 'collector time is counted exactly when it runs');
    }
    assert.ok(runs[0].gcCpuNs > runs[1].gcCpuNs, 'a smaller heap spends more time collecting');
  });

  it('reports out of memory with status 3 when the live index does not fit', () => {
    const run = runElf(elf, {
      argv: ['fsscan', '/sdcard'],
      rootfs: [tree()],
      env: { FSSCAN_HEAP_MB: '0.07' },
    });
    assert.equal(run.status, 3);
    assert.equal(run.stdout.length, 0);
    assert.match(run.stderr.toString(), /fsscan: out of memory/);
  });

  it('depends on the tree: same seed, same line; other seed, other line', () => {
    const a = scan(elf, { seed: 1 }).stdout;
    assert.equal(scan(elf, { seed: 1 }).stdout, a);
    const b = scan(elf, { seed: 2 }).stdout;
    assert.notEqual(b, a);
    assert.notEqual(b.split(' index ')[1], a.split(' index ')[1]);
  });

  it('matches an independent computation from describeSynthTree', () => {
    for (const seed of [1, 2]) assert.equal(scan(elf, { seed }).stdout, expectedLine(tree(seed)), `seed ${seed}`);
  });

  it('prints the same line under qemu-arm over the tree written to a real folder', () => {
    const dir = tempDir('cc-fsscan-');
    try {
      materialize(tree(), dir);
      // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
      const q = runQemu(elf, ['fsscan', dir], {}, dir);
      assert.equal(q.status, 0, q.stderr.toString());
      const c = scan(elf);
      assert.equal(q.stdout.toString(), c.stdout);
      assert.equal(c.stdout, expectedLine(tree()));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
