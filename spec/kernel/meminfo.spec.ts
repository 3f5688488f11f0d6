/**
 * sysinfo(2) and /proc/meminfo describe the profile's RAM and the guest's own use of it, the same
 * way. (Not compared with qemu-arm: on the host, /proc/meminfo may be a container's view.)
 */
import { strict as assert } from 'assert';
import { runElf } from '../support/boot';
import { fixtureElf } from '../support/oracle';

describe('kernel: sysinfo and /proc/meminfo', () => {
  for (const [profile, total, unit] of [
    ['htc-g1', 192 * 2 ** 20, 1],
    ['pixel-8', 8 * 2 ** 30, 4096],
  ] as const) {
    it(`agree with each other and with ${profile}'s RAM (mem_unit ${unit}); touched pages are what is used`, () => {
      const r = runElf(fixtureElf('meminfo'), { argv: ['meminfo', 'values'], profile });
      const out = r.stdout.toString();
      assert.equal(r.status, 0);
      for (const line of ['totals agree', 'free agrees', "free's used within 0..total", 'free <= total']) {
        assert.match(out, new RegExp(`^${line}: yes$`, 'm'));
      }
      assert.match(out, new RegExp(`^total ${total} unit ${unit}$`, 'm'));
      const took = Number(/took (\d+) KiB/.exec(out)![1]);
      assert.ok(took >= 8192 && took < 8192 + 64, `touching 8 MiB took ${took} KiB`);
      const [, meminfoUsed, sysinfoUsed] = /meminfo used (\d+) KiB, sysinfo used (\d+) KiB/.exec(out)!.map(Number);
      assert.equal(meminfoUsed, sysinfoUsed);
      assert.ok(meminfoUsed >= 8192, `used ${meminfoUsed} KiB after touching 8 MiB`);
    });
  }
});
