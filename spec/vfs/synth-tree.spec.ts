import { strict as assert } from 'assert';
import { createHash } from 'crypto';
import { ENOENT } from '../../emulator/abi/errno';
import { O_RDONLY, S_IFDIR, S_IFMT } from '../../emulator/abi/fcntl';
import { SynthEntrySpec } from '../../emulator/vfs/rootfs-spec';
import { describeSynthTree, SYNTH_EXTENSIONS } from '../../emulator/vfs/synth-index';
import { Vfs } from '../../emulator/vfs/vfs';
import { assertErrno, makeVfs, readAll } from './helpers';

function synth(seed: number, entries: number, extra: Partial<SynthEntrySpec> = {}): SynthEntrySpec {
  return {
    type: 'synth',
    target: '/sdcard/tree',
    seed,
    entries,
    fanout: 4,
    maxDepth: 4,
    dirRatio: 0.2,
    fileSize: { min: 0, max: 20000, median: 1500 },
    ...extra,
  };
}

/** Walk the tree through the Vfs, hashing every path, type, size and content. */
function fingerprint(vfs: Vfs, root: string): { hash: string; count: number } {
  const h = createHash('sha256');
  let count = 0;
  const visit = (dir: string): void => {
    for (const e of vfs.open(dir, '/', O_RDONLY).readdir()) {
      if (e.name === '.' || e.name === '..') continue;
      const p = `${dir}/${e.name}`;
      count++;
      const st = vfs.stat(p, '/');
      h.update(`${p} ${st.mode} ${st.size} ${st.ino}\n`);
      if ((st.mode & S_IFMT) === S_IFDIR) visit(p);
      else h.update(readAll(vfs.open(p, '/', O_RDONLY)));
    }
  };
  visit(root);
  return { hash: h.digest('hex'), count };
}

describe('vfs: synthesized trees', () => {
  it('has exactly the requested number of entries and is identical for the same seed', () => {
    const a = fingerprint(makeVfs([synth(7, 500)]), '/sdcard/tree');
    const b = fingerprint(makeVfs([synth(7, 500)]), '/sdcard/tree');
    assert.equal(a.count, 500);
    assert.deepEqual(a, b);
  });

  it('differs for another seed', () => {
    const a = fingerprint(makeVfs([synth(7, 500)]), '/sdcard/tree');
    const c = fingerprint(makeVfs([synth(8, 500)]), '/sdcard/tree');
    assert.equal(c.count, 500);
    assert.notEqual(a.hash, c.hash);
  });

  it('agrees with describeSynthTree on paths, types, sizes and contents', () => {
    const spec = synth(3, 300);
    const described = describeSynthTree(spec);
    assert.equal(described.length, 300);
    const vfs = makeVfs([spec]);
    for (const e of described) {
      const st = vfs.stat(e.path, '/');
      assert.equal((st.mode & S_IFMT) === S_IFDIR, e.type === 'dir', e.path);
      assert.equal(st.size, e.size, e.path);
      if (e.type === 'file') assert.deepEqual(readAll(vfs.open(e.path, '/', O_RDONLY)), e.content(0, e.size), e.path);
    }
  });

  it('respects fanout, depth, names and the size bounds', () => {
    const spec = synth(11, 2000, { fanout: 3, maxDepth: 3, dirRatio: 0.3, fileSize: { min: 100, max: 5000, median: 1000 } });
    const described = describeSynthTree(spec);
    const dirs = described.filter((e) => e.type === 'dir');
    assert.ok(dirs.length <= 3 + 9 + 27);
    for (const e of described) {
      const rel = e.path.slice('/sdcard/tree/'.length).split('/');
      const name = rel[rel.length - 1];
      if (e.type === 'dir') {
        assert.match(name, /^d\d{4,}$/);
        assert.ok(rel.length <= 3);
      } else {
        assert.ok(
          SYNTH_EXTENSIONS.some((x) => name.endsWith(x)),
          name,
        );
        assert.ok(e.size >= 100 && e.size <= 5000);
      }
    }
    const children = new Map<string, number>();
    for (const d of dirs) {
      const parent = d.path.slice(0, d.path.lastIndexOf('/'));
      children.set(parent, (children.get(parent) ?? 0) + 1);
    }
    for (const n of children.values()) assert.ok(n <= 3);
  });

  it('reads any byte range equal to the same slice of a full read', () => {
    const vfs = makeVfs([synth(5, 200, { fileSize: { min: 9000, max: 20000, median: 12000 } })]);
    const file = describeSynthTree(synth(5, 200, { fileSize: { min: 9000, max: 20000, median: 12000 } })).find((e) => e.type === 'file')!;
    const f = vfs.open(file.path, '/', O_RDONLY);
    const whole = readAll(f);
    assert.equal(whole.length, file.size);
    for (const [off, len] of [
      [0, 1],
      [1, 7],
      [3, 4096],
      [4093, 10],
      [file.size - 5, 100],
      [file.size, 10],
    ]) {
      const buf = new Uint8Array(len);
      const n = f.read(buf, off);
      assert.deepEqual(buf.subarray(0, n), whole.subarray(off, off + len), `range ${off}+${len}`);
      assert.deepEqual(file.content(off, len), whole.subarray(off, off + len));
    }
  });

  it('finds entries by name and rejects look-alikes', () => {
    const spec = synth(9, 100);
    const vfs = makeVfs([spec]);
    const file = describeSynthTree(spec).find((e) => e.type === 'file')!;
    vfs.stat(file.path, '/');
    const dir = file.path.slice(0, file.path.lastIndexOf('/'));
    const name = file.path.slice(dir.length + 1);
    assertErrno(() => vfs.stat(`${dir}/x${name}`, '/'), ENOENT);
    assertErrno(() => vfs.stat(`${dir}/${name.replace(/_(\d)/, '_0$1')}`, '/'), ENOENT);
    assertErrno(() => vfs.stat('/sdcard/tree/d99999', '/'), ENOENT);
  });

  it('builds a 100,000-entry tree quickly', () => {
    const t0 = process.hrtime.bigint();
    const vfs = makeVfs([
      {
        type: 'synth',
        target: '/sdcard/tree',
        seed: 1,
        entries: 100000,
        fanout: 8,
        maxDepth: 6,
        dirRatio: 0.1,
        fileSize: { min: 0, max: 65536, median: 2048 },
      },
    ]);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.ok(vfs.open('/sdcard/tree', '/', O_RDONLY).readdir().length > 2);
  });

  it('describes entries in id order, directories first', () => {
    const described = describeSynthTree(synth(2, 1000));
    assert.deepEqual(
      described.map((e) => e.id),
      [...Array(1000).keys()],
    );
  });
});

describe('vfs: describeSynthTree', () => {
  it('fills defaults like the manifest parser does', () => {
    const short = describeSynthTree({ target: '/t', seed: 6, entries: 120 });
    const full = describeSynthTree({
      target: '/t',
      seed: 6,
      entries: 120,
      fanout: 8,
      maxDepth: 6,
      dirRatio: 0.1,
      fileSize: { min: 0, max: 65536, median: 2048 },
    });
    assert.deepEqual(
      short.map((e) => [e.path, e.size]),
      full.map((e) => [e.path, e.size]),
    );
    const vfs = makeVfs([{ type: 'synth', target: '/t', seed: 6, entries: 120 }]);
    for (const e of short) assert.equal(vfs.stat(e.path, '/').size, e.size);
  });
});
