/** The profile's RAM bounds the guest's memory at boot as restore checks it: ENOMEM, as on a phone without swap. */
import { strict as assert } from 'assert';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CheckpointStore } from '../../emulator/store/store';
import { findProfile } from '../../emulator/model/profiles';
import { bootElf } from '../support/boot';
import { checkpointAtMarker } from '../support/marker-checkpoint';
import { compileC, tempDir } from '../support/toolchain';

const MB = 2 ** 20;

describe("kernel: the profile's RAM bounds guest memory", function () {
  this.timeout(120_000);
  const small = { ...findProfile('htc-g1'), id: 'small-phone', ramBytes: 32 * MB };
  let elf: string;
  before(async () => {
    await initHashing();
    elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'alloc-until-full.c'));
  });

  it('brk, mmap and mprotect fail with ENOMEM past it; reservations without access cost nothing', () => {
    const b = bootElf(elf, { profileObject: small });
    assert.equal(b.machine.run(), 'exited');
    const out = b.stdout().toString();
    const mib = Number(/malloc: (\d+) MiB before NULL \(ENOMEM\)/.exec(out)?.[1]);
    // The program, its stack and the allocator's own pages take the rest.
    assert.ok(mib >= 16 && mib < 32, out);
    assert.match(out, /mmap 64 MiB: ENOMEM\nsbrk 64 MiB: ENOMEM\nreserve 256 MiB PROT_NONE: ok\nmake it writable: ENOMEM\n/);
    assert.match(out, /freed\nmalloc 4 MiB after free: ok\n/);
    assert.equal(b.machine.kernel.exitState?.status, 0);
    assert.ok(b.machine.space.accountedBytes() <= small.ramBytes);
    b.machine.close();
  });

  it('a checkpoint taken with memory full restores on the same profile and runs on identically', () => {
    const whole = bootElf(elf, { profileObject: small });
    whole.machine.run();
    const expected = whole.stdout().toString();
    whole.machine.close();

    const store = CheckpointStore.open(tempDir('cc-ram-'));
    try {
      const r = checkpointAtMarker(store, elf, { profileObject: small });
      assert.ok(r.manifest.stats.residentPages * 4096 > 16 * MB, 'memory was full when captured');
      assert.equal(r.status, 0);
      assert.equal(r.before.toString() + r.after.toString(), expected);
    } finally {
      store.close();
    }
  });
});
