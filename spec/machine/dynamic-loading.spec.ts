/**
 * Dynamically linked programs: the kernel maps the PT_INTERP loader beside the program, hands it
 * AT_BASE, AT_ENTRY and AT_PHDR, places a PIE at a base drawn from the run's seed, and execve
 * finds the loader in the guest's root. The cross C library's folder is the root (its lib/ holds
 * ld-linux-armhf.so.3 and libc.so.6), as qemu-arm -L uses it.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ImageError } from '../../emulator/errors';
import { runElf, testBootSpec } from '../support/boot';
import { Bootable, planFor } from '../../emulator/cli/partition-plan';
import { silentWiring } from '../../emulator/machine/host-wiring';
import { Machine } from '../../emulator/machine/machine';
import { findProfile } from '../../emulator/model/profiles';
import { findLink } from '../../emulator/model/links';
import { compileDynamicC, CROSS_LIBC_ROOT, tempDir } from '../support/toolchain';
import { spawnSync } from 'child_process';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures');

function qemuL(elf: string, args: string[]): { stdout: string; status: number | null } {
  const r = spawnSync('qemu-arm', ['-L', CROSS_LIBC_ROOT, '-0', 'dyn-info', elf, ...args], { encoding: 'utf8', env: {} });
  return { stdout: r.stdout, status: r.status };
}

describe('machine: dynamically linked programs', function () {
  this.timeout(120_000);
  let elf = '';
  let dir = '';

  before(function () {
    elf = compileDynamicC(path.join(FIXTURES, 'dyn-info.c'), ['-ldl']);
    dir = tempDir('cc-dyn-');
    fs.copyFileSync(elf, path.join(dir, 'dyn-info'));
    const noLoader = compileDynamicC(path.join(FIXTURES, 'exec-target.c'), ['-Wl,--dynamic-linker=/lib/nowhere.so.1']);
    fs.copyFileSync(noLoader, path.join(dir, 'noloader'));
  });

  const rootfs = () => [
    { type: 'host', source: CROSS_LIBC_ROOT, target: '/' },
    { type: 'host', source: dir, target: '/t' },
  ];

  it('runs with its loader and libraries from the root, as under qemu-arm -L (dlopen included)', function () {
    const q = qemuL(elf, []);
    const r = runElf(elf, { argv: ['dyn-info'], root: CROSS_LIBC_ROOT });
    assert.equal(r.stdout.toString(), q.stdout);
    assert.equal(r.status, q.status);
    assert.match(r.stdout.toString(), /loader mapped at AT_BASE: 1\nentry is the program's: 1\nprogram headers readable: 1\ndlopen libm: yes, cos\(0\)=1\.0/);
  });

  it('puts the loader in the mmap area and the PIE at a base that depends on the seed alone', function () {
    const layout = (seed: number) => {
      const out = runElf(elf, { argv: ['dyn-info', 'layout'], root: CROSS_LIBC_ROOT, seed }).stdout.toString();
      const m = /base=([0-9a-f]+) entry=([0-9a-f]+) phdr=([0-9a-f]+) main=([0-9a-f]+)/.exec(out);
      assert.ok(m, out);
      return m.slice(1).map((h) => parseInt(h, 16));
    };
    const [base, entry, phdr, main] = layout(1);
    assert.ok(base >= 0x40000000 && base < 0xbe800000, `loader at 0x${base.toString(16)}`);
    assert.ok(entry >= 0x400000 && entry < 0x40000000 && phdr < entry && main < 0x40000000, 'program below the mmap area');
    assert.deepEqual(layout(1), [base, entry, phdr, main], 'the same seed, the same layout');
    const bases = new Set([1, 2, 3, 4].map((s) => layout(s)[1] - (entry - 0x400000)));
    assert.ok(bases.size >= 3, `PIE bases across seeds: ${[...bases].map((b) => b.toString(16))}`);
  });

  it('execve of a program whose loader is missing is ENOENT; one whose loader is there runs', function () {
    const r = runElf(elf, { argv: ['/t/dyn-info', 'exec', '/t/noloader'], rootfs: rootfs() });
    assert.match(
      r.stdout.toString(),
      /^execv \/t\/noloader: No such file or directory\nloader mapped at AT_BASE: 1\n[^]*argv\[0\]=dyn-info argc=2\nchild exited 3\n$/,
    );
    assert.equal(r.status, 0);
  });

  it("symbols name run addresses once the load bias is added: the partitioner profiles a PIE's function", function () {
    const bytes = new Uint8Array(fs.readFileSync(elf));
    const bootable: Bootable = {
      profile: findProfile('htc-g1'),
      elf: bytes,
      phoneOnly: [],
      machine: (profile, wiring) =>
        new Machine({ ...testBootSpec(elf, { argv: ['dyn-info', 'calls'], root: CROSS_LIBC_ROOT }), profile }, { ...wiring, elf: bytes }),
    };
    const probe = bootable.machine(findProfile('htc-g1'), silentWiring());
    assert.ok(probe.programBias >= 0x400000, `a PIE is moved (bias 0x${probe.programBias.toString(16)})`);
    probe.close();
    const plan = planFor(bootable, {
      phone: findProfile('htc-g1'),
      clone: findProfile('dell-t7400'),
      link: findLink('wifi-2009'),
      objective: 'time',
      candidates: ['work'],
      phoneOnly: [],
    });
    assert.equal(plan.entries.find((e) => e.name === 'work')?.calls, 3);
  });

  it('booting it without its loader in the root says what to do', function () {
    assert.throws(
      () => runElf(elf, { argv: ['dyn-info'] }),
      (e: unknown) =>
        e instanceof ImageError &&
        /dynamically linked and its interpreter \/lib\/ld-linux-armhf\.so\.3 cannot be loaded from the guest's root \(no such file\); give a root holding it/.test(
          e.message,
        ),
    );
  });
});
