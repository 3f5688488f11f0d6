/**
 * The partitioner: the profiler against a fixture whose call structure is known (four calls of
 * each worker, a recursive function counted once per outer call, a function pinned by a
 * phone-only device, nesting), the cost model's arithmetic, and the plan's choices: small work
 * stays on the phone, pinned work is never offloaded, overlapping functions are not both chosen,
 * and the link decides.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { SymbolTable } from '../../emulator/elf/symbols';
import { silentWiring } from '../../emulator/machine/host-wiring';
import { Machine } from '../../emulator/machine/machine';
import { findLink } from '../../emulator/model/links';
import { callCost, cpuSeconds } from '../../emulator/model/offload-cost';
import { findProfile } from '../../emulator/model/profiles';
import { ownFunctions, partition } from '../../emulator/runtime/partitioner';
import { FunctionProfile, profileRun, RunProfile } from '../../emulator/runtime/profiler';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { bootable } from '../../emulator/cli/boot-command';
import { compileC, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const phone = findProfile('htc-g1');
const clone = findProfile('dell-t7400');

let nextAddress = 0x10000;
/** A function profile with `calls` calls of `instructions` each, at an address of its own. */
function fn(name: string, calls: number, instructions: number, extra: Partial<FunctionProfile> = {}): FunctionProfile {
  const recorded = Array.from({ length: calls }, () => ({ instructions, dirtied: 10, read: 30, dirtiedBefore: 20, syscalls: 1 }));
  nextAddress += 64;
  return { name, address: nextAddress, calls, recorded, tooFrequent: false, nestedIn: new Set(), ...extra };
}

describe('runtime/partitioner', function () {
  this.timeout(120_000);
  before(initHashing);

  it('prices a call both ways from the device and link models', () => {
    const c = callCost({ phoneInstructions: 300e6, cloneInstructions: 300e6, upBytes: 1e6, downBytes: 1e5 }, phone, clone, findLink('wifi-2009'));
    assert.ok(Math.abs(c.local.seconds - cpuSeconds(phone, 300e6)) < 1e-12);
    assert.ok(Math.abs(c.local.joules - c.local.seconds * phone.cpuActiveW) < 1e-12);
    assert.ok(Math.abs(c.offloaded.cloneSeconds - cpuSeconds(clone, 300e6)) < 1e-12);
    assert.ok(Math.abs(c.offloaded.seconds - (c.offloaded.upSeconds + c.offloaded.cloneSeconds + c.offloaded.downSeconds)) < 1e-9);
    assert.ok(Math.abs(c.offloaded.joules - (c.offloaded.seconds * phone.cpuIdleW + c.offloaded.radioJoules)) < 1e-9);
    // 1 MB up at 20 Mbit/s is at least 0.4 s.
    assert.ok(c.offloaded.upSeconds > 0.4);
  });

  it('keeps small and pinned work on the phone, offloads big work, never two overlapping functions', () => {
    const run = (fns: FunctionProfile[]): RunProfile => ({ functions: fns, instructions: 2e9, residentPages: 100 });
    const big = fn('big', 2, 500e6);
    const inner = fn('inner', 2, 450e6, { nestedIn: new Set(['big']) });
    const pinned = fn('pinned', 1, 800e6, { pinned: 'it names /dev/camera, which is phone-only' });
    const small = fn('small', 50, 2e5);
    const frequent = fn('frequent', 200, 5e6, { tooFrequent: true });
    const fns = [big, inner, pinned, small, frequent];
    const wifi = partition(run(fns), run(fns), phone, clone, findLink('wifi-2009'), 'time');
    assert.deepEqual(wifi.chosen, ['big']);
    const by = new Map(wifi.entries.map((e) => [e.name, e]));
    assert.match(by.get('inner')!.why, /overlap those of big/);
    assert.match(by.get('pinned')!.why, /^pinned to the phone: it names \/dev\/camera/);
    assert.match(by.get('small')!.why, /^offloading costs/);
    assert.match(by.get('frequent')!.why, /too fine-grained/);
    assert.ok(wifi.predicted.partitioned.seconds < wifi.predicted.local.seconds);
    // Over 3G the same state costs more than the work: nothing leaves the phone.
    const g3 = partition(run(fns), run(fns), phone, clone, findLink('3g-2009'), 'time');
    assert.deepEqual(g3.chosen, []);
    const bigOn3g = g3.entries.find((e) => e.name === 'big')!;
    assert.ok(bigOn3g.offloaded.seconds > bigOn3g.local.seconds, JSON.stringify(bigOn3g));
    assert.deepEqual(g3.predicted.partitioned, g3.predicted.local);
    // Energy can disagree with time: on Wi-Fi the radio costs the phone more than its CPU would.
    const energy = partition(run(fns), run(fns), phone, clone, findLink('wifi-2009'), 'energy');
    const bigByEnergy = energy.entries.find((e) => e.name === 'big')!;
    assert.equal(energy.chosen.includes('big'), bigByEnergy.offloaded.joules < bigByEnergy.local.joules);
  });

  it('profiles the fixture: calls per function, recursion counted once, nesting, and the pinned camera call', () => {
    const elf = compileC(path.join(ROOT, 'spec', 'fixtures', 'offload-work.c'));
    const root = tempDir('cc-partition-');
    fs.mkdirSync(path.join(root, 'tmp'));
    fs.mkdirSync(path.join(root, 'dev'));
    fs.writeFileSync(path.join(root, 'dev', 'camera'), 'pixels');
    const symbols = SymbolTable.fromElf(fs.readFileSync(elf), 'offload-work');
    const own = ownFunctions(symbols.functions())
      .map((f) => f.name)
      .sort();
    assert.deepEqual(own, ['camera', 'crunch', 'fib', 'main', 'work']);
    const machine: Machine = bootable(undefined, [], { elf, root }).machine(phone, silentWiring());
    let p: RunProfile;
    try {
      p = profileRun(machine, ownFunctions(symbols.functions()), { phoneOnly: ['/dev/camera'] });
    } finally {
      machine.close();
    }
    const by = new Map(p.functions.map((f) => [f.name, f]));
    assert.deepEqual(
      ['main', 'work', 'crunch', 'fib', 'camera'].map((n) => by.get(n)!.calls),
      [1, 4, 4, 4, 1],
    );
    assert.deepEqual([...by.get('crunch')!.nestedIn].sort(), ['main', 'work']);
    assert.match(by.get('camera')!.pinned ?? '', /\/dev\/camera/);
    assert.match(by.get('main')!.pinned ?? '', /phone-only|the process ends on the phone/);
    assert.equal(by.get('crunch')!.pinned, undefined);
    // A work call runs its crunch and its fib (and a little more): inclusive counts.
    for (let i = 0; i < 4; i++) {
      const w = by.get('work')!.recorded[i].instructions;
      const inner = by.get('crunch')!.recorded[i].instructions + by.get('fib')!.recorded[i].instructions;
      assert.ok(w > inner && w < inner * 1.05, `${w} vs ${inner}`);
    }
    // crunch dirties its 256 KiB buffer's pages (64) and a little stack; it loads from each of them
    // first (buf[i] ^= ...), and fib reads little beyond its stack and code's literal pools.
    for (const r of by.get('crunch')!.recorded) {
      assert.ok(r.dirtied >= 64 && r.dirtied < 80, String(r.dirtied));
      assert.ok(r.read >= 64 && r.read < 90, `crunch read ${r.read} pages`);
    }
    for (const r of by.get('fib')!.recorded) assert.ok(r.read < 10, `fib read ${r.read} pages`);
    assert.ok(p.instructions > 9e6);
  });
});
