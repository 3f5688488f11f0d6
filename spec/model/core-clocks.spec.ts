import * as assert from 'assert';
import { CoreClocks } from '../../emulator/model/core-clocks';
import { ModelClock } from '../../emulator/model/model-clock';
import { findProfile } from '../../emulator/model/profiles';

describe('core clocks: time and energy on several cores', () => {
  const dell = findProfile('dell-t7400');

  it("one core used: every figure is exactly the single clock's, and so is the saved state", () => {
    let n = 0n;
    const single = new ModelClock(dell, () => n);
    const cores = new CoreClocks(dell, () => n);
    n = 3_000_000n;
    single.sleep(1_000_000n);
    cores.sleep(1_000_000n);
    n = 9_000_000n;
    assert.equal(cores.monotonicNs(), single.monotonicNs());
    assert.equal(cores.seconds(), single.seconds());
    assert.equal(cores.energyJoules(), single.energyJoules());
    assert.deepEqual(cores.save(), single.save());
  });

  it('work split over cores: the machine ends with the last core, idle power is paid once', () => {
    let n = 0n;
    const c = new CoreClocks(dell, () => n);
    const rate = BigInt(Math.round(dell.clockHz * dell.ipc));
    // 1 s of work on core 0, then 1 s on core 1 starting at time 0.
    n = rate;
    c.switchTo(1);
    n = 2n * rate;
    assert.equal(c.coreInstructions(0), rate);
    assert.equal(c.coreInstructions(1), rate);
    assert.equal(c.seconds(), 1);
    assert.ok(Math.abs(c.energyJoules() - (dell.cpuIdleW * 1 + 2 * (dell.cpuActiveW - dell.cpuIdleW))) < 1e-9);
    // Core 1 idles until 1.5 s: the machine's time follows, energy adds idle power only.
    c.idleUntil(1, 1_500_000_000n);
    assert.equal(c.seconds(), 1.5);
    assert.ok(Math.abs(c.energyJoules() - (dell.cpuIdleW * 1.5 + 2 * (dell.cpuActiveW - dell.cpuIdleW))) < 1e-9);
  });

  it('a saved multi-core state restores to the same figures', () => {
    let n = 0n;
    const a = new CoreClocks(dell, () => n);
    n = 5_000_000n;
    a.switchTo(2);
    n = 7_000_000n;
    a.idleUntil(3, 4_000_000n);
    const saved = a.save();
    assert.ok(saved.cores, 'the other cores are saved');
    const b = new CoreClocks(dell, () => n);
    b.restore(saved);
    assert.equal(b.seconds(), a.seconds());
    assert.equal(b.energyJoules(), a.energyJoules());
    assert.equal(b.activeCore, 2);
    for (let i = 0; i < 4; i++) assert.equal(b.coreNs(i), a.coreNs(i));
  });

  it('a state of more cores than the device has continues on one: same end time and energy so far', () => {
    let n = 0n;
    const four = new CoreClocks(dell, () => n);
    n = 4_000_000n;
    four.switchTo(3);
    n = 10_000_000n;
    const saved = four.save();
    const one = new CoreClocks({ ...dell, cores: 1 }, () => n);
    one.restore(saved);
    assert.equal(one.seconds(), four.seconds());
    assert.ok(Math.abs(one.energyJoules() - four.energyJoules()) < 1e-12);
    assert.equal(one.activeCore, 0);
  });
});
