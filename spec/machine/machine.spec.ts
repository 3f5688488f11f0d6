import { strict as assert } from 'assert';
import { GuestFault } from '../../emulator/errors';
import { PAGE_SIZE } from '../../emulator/memory/address-space';
import { NR } from '../../emulator/abi/syscall-names';
import * as path from 'path';
import { findProfile } from '../../emulator/model/profiles';
import { assemble, compileC } from '../support/toolchain';
import { bootElf, runElf } from '../support/boot';

describe('machine', () => {
  describe('instruction counting', () => {
    it('counts an ARM loop followed by a Thumb-2 loop exactly', () => {
      // count.S documents its arithmetic: 4005 ARM + 403 Thumb instructions up to the exit svc.
      const r = runElf(assemble('count'));
      assert.equal(r.status, 1100 & 0xff, 'exit_group(r0 = 1100)');
      assert.equal(r.summary.instructions, 4408);
    });

    it('stops at a budget exactly, also inside a block, and resumes exactly', () => {
      const b = bootElf(assemble('count'));
      const m = b.machine;
      assert.equal(m.run(10n), 'budget');
      // The first block has 7 instructions and the loop block 4: 10 stops inside the loop block.
      assert.equal(m.instructions, 10n);
      assert.equal(m.run(2000n), 'budget');
      assert.equal(m.instructions, 2000n);
      assert.equal(m.run(), 'exited');
      assert.equal(m.instructions, 4408n);
      m.close();
    });

    it('counts the same with dirty tracking switched off', () => {
      const r = runElf(assemble('count'), { engine: { trackDirty: false } });
      assert.equal(r.summary.instructions, 4408);
    });
  });

  describe('dirty pages', () => {
    const isGetpid = (nr: number) => nr === NR.getpid;

    /** Copy every touched page, by page index. */
    function snapshot(m: ReturnType<typeof bootElf>['machine']): Map<number, Uint8Array> {
      const pages = new Map<number, Uint8Array>();
      for (const r of m.space.regions()) {
        for (let a = r.start; a < r.end; a += PAGE_SIZE) pages.set(a / PAGE_SIZE, m.space.bytes.slice(a, a + PAGE_SIZE));
      }
      return pages;
    }

    function changedPages(before: Map<number, Uint8Array>, m: ReturnType<typeof bootElf>['machine']): number[] {
      const out: number[] = [];
      for (const [p, old] of before) {
        const now = m.space.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE);
        if (Buffer.compare(Buffer.from(old), Buffer.from(now)) !== 0) out.push(p);
      }
      return out;
    }

    it('reports exactly the pages a guest writes, checked against a byte comparison', () => {
      const b = bootElf(assemble('dirty'), { stdin: new TextEncoder().encode('hello') });
      const m = b.machine;
      assert.equal(m.run(undefined, isGetpid), 'syscall');
      // buf is the only writable segment of the program: its first page is page 0 of the test.
      const base = m.space.regions().filter((r) => r.prot & 2 && r.kind !== 'stack')[0].start / PAGE_SIZE;
      const before = snapshot(m);
      m.rearmDirtyTracking();
      assert.equal(m.run(undefined, isGetpid), 'syscall');
      const dirty = m.space.dirty.pages();
      assert.deepEqual(dirty, changedPages(before, m));
      assert.deepEqual(
        dirty.map((p) => p - base),
        [0, 2, 5, 9, 11, 12],
      );

      const before2 = snapshot(m);
      m.rearmDirtyTracking();
      assert.equal(m.run(undefined, isGetpid), 'syscall');
      // The kernel's read() into guest memory counts as a write to that page.
      assert.deepEqual(m.space.dirty.pages(), changedPages(before2, m));
      assert.deepEqual(
        m.space.dirty.pages().map((p) => p - base),
        [14],
      );
      assert.equal(m.run(), 'exited');
      m.close();
    });
  });

  describe('kernel layer', () => {
    it('returns ENOSYS for an unknown syscall and reports it once, by name', () => {
      const r = runElf(assemble('unknown'));
      assert.equal(r.status, 218, '-ENOSYS & 0xff');
      assert.deepEqual(r.warnings, ['unimplemented syscall syscall_9999 (9999): returning ENOSYS']);
      assert.deepEqual(r.summary.unimplementedSyscalls, ['syscall_9999']);
    });

    it('shows the device profile to a program that sizes itself, and times it on the modelled clock', () => {
      const elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'sysconf.c'));
      const parse = (out: Buffer) =>
        Object.fromEntries(
          out
            .toString()
            .trim()
            .split('\n')
            .map((l) => l.split(' '))
            .map(([k, v]) => [k, Number(v)]),
        );
      const runs = ['htc-g1', 'dell-t7400', 'htc-g1'].map((id) => parse(runElf(elf, { profile: id }).stdout));
      for (const [i, id] of ['htc-g1', 'dell-t7400'].entries()) {
        const p = findProfile(id);
        assert.equal(runs[i].cores, p.cores, id);
        assert.equal(runs[i].phys, p.ramBytes, id);
        assert.equal(runs[i].memtotal_kb, p.ramBytes / 1024, id);
      }
      assert.deepEqual(runs[0], runs[2], 'same profile, same figures: modelled time is deterministic');
      const g1 = findProfile('htc-g1');
      const dell = findProfile('dell-t7400');
      const expected = (g1.clockHz * g1.ipc) / (dell.clockHz * dell.ipc);
      assert.ok(Math.abs(runs[1].loop_ns / runs[0].loop_ns - expected) < 0.001, 'loop time scales with 1 / (clock x IPC)');
    });
  });

  describe('guest faults', () => {
    it('reports an unmapped load with pc, address, instruction and the last syscalls', () => {
      const r = runElf(assemble('fault'));
      assert.ok(r.fault instanceof GuestFault);
      const f = r.fault.info;
      assert.equal(f.kind, 'segmentation fault');
      assert.equal(f.address, 16);
      assert.equal(f.mode, 'arm');
      assert.equal(f.instruction, 'e5901000 (arm)');
      assert.match(f.lastSyscalls.join(';'), /^getpid\(/);
      assert.equal(r.status, 139);
      assert.match(r.fault.message, /pc 0x[0-9a-f]{8} \(arm\); address 0x00000010; instruction e5901000/);
    });

    it('ends the guest with a report when a syscall cannot be served', () => {
      const b = bootElf(assemble('fault'));
      b.machine.kernel.dispatch = () => {
        throw new TypeError('argument out of range');
      };
      assert.throws(
        () => b.machine.run(),
        (e: Error) =>
          e instanceof GuestFault &&
          e.info.kind === 'bad syscall' &&
          e.info.instruction === 'ef000000 (arm)' &&
          /getpid \(20\) could not be served: argument out of range/.test(e.message),
      );
      b.machine.close();
    });

    it('reports an undefined instruction', () => {
      const r = runElf(assemble('undef'));
      assert.ok(r.fault);
      assert.equal(r.fault.info.kind, 'undefined instruction');
      assert.equal(r.fault.info.instruction, 'e7f000f0 (arm)');
    });
  });
});
