import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { AddressSpace, GuestMemoryReleasedError, PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE } from '../../emulator/memory/address-space';
import { GuestMemory } from '../../emulator/memory/guest-memory';
import { Engine } from '../../emulator/unicorn/engine';

const MB = 1 << 20;
const HEAP = 0x100000;

/** A field of /proc/self/status or /proc/self/smaps_rollup, in bytes. */
function hostMemory(file: 'status' | 'smaps_rollup', field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/self/${file}`, 'utf8'));
  assert.ok(m, `${field} in /proc/self/${file}`);
  return Number(m[1]) * 1024;
}

/** A space with `bytes` of heap, every page written with `tag` at its start. */
function touchedSpace(bytes: number, tag: number): AddressSpace {
  const s = new AddressSpace();
  s.map(HEAP, bytes, PROT_READ | PROT_WRITE, 'heap', '[heap]');
  for (let a = HEAP; a < HEAP + bytes; a += PAGE_SIZE) s.writeU32(a, tag ^ a);
  return s;
}

describe('memory/guest-memory', () => {
  it('keeps 120 address spaces with a few MB touched each alive, and the host can still fork', () => {
    const spaces: AddressSpace[] = [];
    try {
      for (let i = 0; i < 120; i++) spaces.push(touchedSpace(3 * MB, i));
      const r = spawnSync('true');
      assert.equal(r.error, undefined, `spawnSync failed: ${String(r.error)}`);
      assert.equal(r.status, 0);
      assert.equal(spaces[77].readU32(HEAP + 5 * PAGE_SIZE), (77 ^ (HEAP + 5 * PAGE_SIZE)) >>> 0);
    } finally {
      for (const s of spaces) s.release();
    }
  });

  it('forks a space: same map and contents, then parent and child each see only their own writes', () => {
    const parent = touchedSpace(2 * MB, 1);
    parent.map(0x400000, 0x3000, PROT_READ, 'data', 'ro');
    const spaces = [parent];
    try {
      const child = parent.fork();
      spaces.push(child);
      assert.deepEqual(child.save(), parent.save());
      assert.deepEqual(child.perms, parent.perms);
      assert.deepEqual(child.touched.pages(), parent.touched.pages());
      assert.deepEqual(child.dirty.pages(), parent.touched.pages(), 'every touched page is dirty in the child');
      assert.deepEqual(child.read(HEAP, 2 * MB), parent.read(HEAP, 2 * MB));
      parent.writeU32(HEAP + 8, 0xaaaa);
      child.writeU32(HEAP + 8, 0xbbbb);
      child.writeU32(HEAP + MB, 0xcccc);
      assert.equal(parent.readU32(HEAP + 8), 0xaaaa);
      assert.equal(child.readU32(HEAP + 8), 0xbbbb);
      assert.equal(parent.readU32(HEAP + MB), (1 ^ (HEAP + MB)) >>> 0);

      // A second fork of the parent sees what the parent wrote since the first, not the child's writes.
      parent.writeU32(HEAP + 2 * PAGE_SIZE, 0xdddd);
      parent.unmap(HEAP + MB, PAGE_SIZE);
      const second = parent.fork();
      spaces.push(second);
      assert.equal(second.readU32(HEAP + 8), 0xaaaa);
      assert.equal(second.readU32(HEAP + 2 * PAGE_SIZE), 0xdddd);
      assert.equal(second.isMapped(HEAP + MB, 1), false);
      second.map(HEAP + MB, PAGE_SIZE, PROT_READ | PROT_WRITE, 'heap', '[heap]');
      assert.equal(second.readU32(HEAP + MB), 0, 'a page unmapped in the parent is zero in the fork');

      // A grandchild: forked from a fork, released before its parent.
      const grandchild = child.fork();
      assert.equal(grandchild.readU32(HEAP + 8), 0xbbbb);
      assert.equal(grandchild.readU32(HEAP + MB), 0xcccc);
      grandchild.release();
      child.writeU32(HEAP + 12, 7);
      assert.equal(child.readU32(HEAP + 12), 7);
      assert.equal(parent.readU32(HEAP + 12), 0);
    } finally {
      for (const s of spaces) s.release();
    }
  });

  it('shares unchanged pages: 100 live forks of a guest with 4 MB touched take far less than 100 copies', () => {
    const parent = touchedSpace(4 * MB, 3);
    const forks: AddressSpace[] = [];
    try {
      parent.fork().release(); // the parent's image
      const before = hostMemory('smaps_rollup', 'Pss');
      for (let i = 0; i < 100; i++) {
        parent.writeU32(HEAP, i); // the parent goes on writing between forks, as a shell does
        const f = parent.fork();
        f.writeU32(HEAP + 4, i);
        let sum = 0;
        for (let a = HEAP; a < HEAP + 4 * MB; a += PAGE_SIZE) sum += f.bytes[a]; // every page read
        assert.ok(sum >= 0);
        forks.push(f);
      }
      const grown = hostMemory('smaps_rollup', 'Pss') - before;
      assert.ok(grown < 20 * 4 * MB, `100 forks took ${(grown / MB).toFixed(1)} MB of host memory`);
      assert.equal(forks[42].readU32(HEAP), 42);
      assert.equal(forks[42].readU32(HEAP + 4), 42);
      assert.equal(parent.readU32(HEAP + 4), 0, 'the forks wrote their own copies');
      assert.equal(parent.readU32(HEAP), 99);
    } finally {
      for (const f of forks) f.release();
      parent.release();
    }
  });

  it('gives released memory back to the host and reuses the reservation, zero-filled', () => {
    const s = touchedSpace(64 * MB, 5);
    const held = hostMemory('status', 'VmRSS');
    const pooled = GuestMemory.pooled();
    s.release();
    const after = hostMemory('status', 'VmRSS');
    assert.ok(held - after > 48 * MB, `RSS went from ${held >> 20} MB to ${after >> 20} MB`);
    assert.equal(GuestMemory.pooled(), pooled + 1);
    const next = new AddressSpace();
    try {
      assert.equal(GuestMemory.pooled(), pooled);
      next.map(HEAP, 64 * MB, PROT_READ | PROT_WRITE, 'heap', '[heap]');
      assert.equal(next.readU32(HEAP + 7 * PAGE_SIZE), 0);
    } finally {
      next.release();
    }
  });

  it('refuses any use of a released space with a clear error', () => {
    const s = touchedSpace(MB, 9);
    const engine = new Engine(s, () => undefined);
    engine.close();
    s.release();
    s.release(); // twice is harmless
    const released = (f: () => unknown) => assert.throws(f, GuestMemoryReleasedError);
    released(() => s.readU32(HEAP));
    released(() => s.write(HEAP, new Uint8Array(4)));
    released(() => s.read(HEAP, 4));
    released(() => s.bytes);
    released(() => s.map(HEAP, PAGE_SIZE, PROT_READ, 'heap', 'x'));
    released(() => s.fork());
    released(() => engine.run(HEAP));
    assert.match(new GuestMemoryReleasedError().message, /released/);
  });

  it('runs programs on engines over a forked space and over its parent, remapped under its engine', () => {
    // ldr r0, [r1]; add r0, r0, #1; str r0, [r1]; svc #0
    const code = new Uint8Array(new Uint32Array([0xe5910000, 0xe2800001, 0xe5810000, 0xef000000]).buffer);
    const CODE = 0x10000;
    const DATA = 0x20000;
    const parent = new AddressSpace();
    parent.map(CODE, PAGE_SIZE, PROT_READ | PROT_EXEC, 'text', 'prog');
    parent.map(DATA, PAGE_SIZE, PROT_READ | PROT_WRITE, 'data', 'counter');
    parent.poke(CODE, code);
    parent.writeU32(DATA, 100);
    const engines: Engine[] = [];
    const spaces = [parent];
    /** Run the program once on `e`: the word at DATA goes up by one. */
    const step = (e: Engine): void => {
      e.setR(1, DATA);
      assert.equal(e.run(CODE), 0);
    };
    try {
      const pe = new Engine(parent, () => pe.stop());
      engines.push(pe);
      step(pe);
      assert.equal(parent.readU32(DATA), 101);
      const child = parent.fork();
      spaces.push(child);
      const ce = new Engine(child, () => ce.stop());
      engines.push(ce);
      step(ce);
      step(ce);
      step(pe);
      assert.equal(child.readU32(DATA), 103);
      assert.equal(parent.readU32(DATA), 102);
      assert.deepEqual(child.dirty.pages().includes(DATA / PAGE_SIZE), true);
      const second = parent.fork();
      spaces.push(second);
      const se = new Engine(second, () => se.stop());
      engines.push(se);
      step(se);
      step(pe);
      assert.deepEqual([parent.readU32(DATA), child.readU32(DATA), second.readU32(DATA)], [103, 103, 103]);
      step(ce);
      assert.deepEqual([parent.readU32(DATA), child.readU32(DATA), second.readU32(DATA)], [103, 104, 103]);
    } finally {
      for (const e of engines) e.close();
      for (const s of spaces) s.release();
    }
  });
});
