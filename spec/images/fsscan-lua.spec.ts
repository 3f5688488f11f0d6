/**
 * The file scan in a managed runtime: Debian's Lua 5.4 runs images/fsscan-lua/system/fsscan.lua
 * over the synthesized /sdcard. It must print the C scan's summary line (same counts, same
 * checksum), collect when its heap reaches the limit derived from the device's RAM, and not
 * collect where the RAM is large.
 */
import { strict as assert } from 'assert';
import { defaultImageDir, parseGcStats } from '../../emulator/experiments/fsscan-experiment';
import { runImage } from '../../emulator/experiments/image-run';
import { BootSpec } from '../../emulator/machine/boot-spec';
import { findProfile } from '../../emulator/model/profiles';

/** The image's boot record with its tree resized and extra environment. */
const resized =
  (entries: number, env: string[] = []) =>
  (spec: BootSpec): BootSpec => ({
    ...spec,
    env: [...spec.env, ...env],
    rootfs: spec.rootfs.map((e) => ((e as { type?: string }).type === 'synth' ? { ...(e as object), entries } : e)),
  });

describe("images: fsscan-lua (the scan in Debian's Lua 5.4)", function () {
  this.timeout(300_000);

  it("prints the C scan's summary line on the same tree", () => {
    const lua = runImage(defaultImageDir('lua'), findProfile('htc-g1'), resized(2500));
    const c = runImage(defaultImageDir('c'), findProfile('htc-g1'), resized(2500));
    assert.equal(lua.summary.exitStatus, 0, lua.stderr);
    assert.equal(lua.stdout, c.stdout);
    assert.match(lua.stdout, /^fsscan: entries 2500 dirs \d+ files \d+ bytes \d+ index [0-9a-f]{8}\n$/);
  });

  it('collects when its heap reaches the limit; on a machine with more RAM it does not', () => {
    // A 1 MiB heap (FSSCAN_HEAP_MB) makes a small tree collect as the G1's 16 MB makes a large one.
    const phone = runImage(defaultImageDir('lua'), findProfile('htc-g1'), resized(2500, ['FSSCAN_HEAP_MB=1']));
    const clone = runImage(defaultImageDir('lua'), findProfile('clone-2009'), resized(2500));
    const p = parseGcStats(phone.stderr);
    const k = parseGcStats(clone.stderr);
    assert.equal(phone.stdout, clone.stdout);
    assert.equal(p.heapLimit, 2 ** 20);
    assert.ok(p.collections >= 5, `${p.collections} collections in a 1 MiB heap`);
    assert.ok(p.gcCpuNs > 0 && p.gcCpuNs < p.totalCpuNs);
    assert.equal(k.heapLimit, 256 * 2 ** 20, '4 GB of RAM / 12, clamped to 256 MB');
    assert.equal(k.collections, 0);
    assert.equal(k.gcCpuNs, 0);
  });

  it('runs out of memory with status 3 when its live data cannot fit', () => {
    const r = runImage(defaultImageDir('lua'), findProfile('htc-g1'), resized(2500, ['FSSCAN_HEAP_MB=0.2']));
    assert.equal(r.summary.exitStatus, 3);
    assert.match(r.stderr, /fsscan: out of memory: \d+ bytes live after a collection, limit 209715\n/);
    assert.equal(r.stdout, '');
  });
});
