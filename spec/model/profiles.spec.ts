import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ProfileError } from '../../emulator/errors';
import { ModelClock } from '../../emulator/model/model-clock';
import { allProfiles, BUILTIN_PROFILES, findProfile } from '../../emulator/model/profiles';
import { tempDir } from '../support/toolchain';

describe('model/profiles', () => {
  it('has the phones and computers of the paper with their published clock and RAM', () => {
    const g1 = findProfile('htc-g1');
    assert.equal(g1.clockHz, 528e6);
    assert.equal(g1.ramBytes, 192 * 2 ** 20);
    assert.equal(findProfile('iphone-3g').clockHz, 412e6);
    assert.equal(findProfile('blackberry-bold').ramBytes, 128 * 2 ** 20);
    assert.equal(findProfile('macbook-pro').cores, 2);
    assert.equal(findProfile('dell-t7400').cores, 4);
    assert.ok(BUILTIN_PROFILES.every((p) => p.source.length > 0));
  });

  it('reads user profiles from a JSON file and names the bad field otherwise', () => {
    const dir = tempDir();
    const good = path.join(dir, 'p.json');
    fs.writeFileSync(good, JSON.stringify([{ id: 'my-phone', clockHz: 1e9, ipc: 1, cores: 2, ramBytes: 2 ** 30, cpuActiveW: 1, cpuIdleW: 0.1 }]));
    assert.equal(findProfile('my-phone', good).cores, 2);
    assert.equal(allProfiles(good).length, BUILTIN_PROFILES.length + 1);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ id: 'x', clockHz: -1 }));
    assert.throws(
      () => findProfile('x', bad),
      (e: Error) => e instanceof ProfileError && /clockHz/.test(e.message),
    );
    assert.throws(
      () => findProfile('nope'),
      (e: Error) => e instanceof ProfileError && /known: .*htc-g1/.test(e.message),
    );
  });
});

describe('model/model-clock', () => {
  it('turns instructions into seconds by clock x IPC, adds sleep, and prices energy', () => {
    const p = findProfile('htc-g1');
    let insns = 0n;
    const c = new ModelClock(p, () => insns);
    insns = BigInt(p.clockHz * p.ipc); // one second of work
    assert.equal(c.monotonicNs(), 1_000_000_000n);
    c.sleep(500_000_000n);
    assert.equal(c.seconds(), 1.5);
    assert.ok(Math.abs(c.energyJoules() - (p.cpuActiveW + 0.5 * p.cpuIdleW)) < 1e-12);
    assert.equal(c.realtimeNs(), BigInt(c.epochSeconds) * 1_000_000_000n + 1_500_000_000n);
  });
});
