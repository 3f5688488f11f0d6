import { strict as assert } from 'assert';
import { ENOENT } from '../../emulator/abi/errno';
import { O_CREAT, O_WRONLY, S_IFIFO, S_IFREG } from '../../emulator/abi/fcntl';
import { Vfs } from '../../emulator/vfs/vfs';
import { assertErrno, bytes, list, makeHostTree, makeVfs, readText, removeTree } from './helpers';

describe('vfs: save / restore of the writable layer', () => {
  let host: string;
  beforeEach(() => {
    host = makeHostTree();
  });
  afterEach(() => removeTree(host));
  const fresh = (): Vfs =>
    makeVfs([
      { type: 'host', source: host, target: '/' },
      { type: 'synth', target: '/sdcard', seed: 2, entries: 40 },
    ]);

  /** Make one change of every kind. */
  function mutate(vfs: Vfs): void {
    vfs.mkdir('/data', '/', 0o771);
    const f = vfs.open('/data/big', '/', O_CREAT | O_WRONLY, 0o600);
    f.write(bytes('tail'), 3 * 4096 + 10);
    f.write(bytes('head'), 0);
    vfs.open('/home/user/notes.txt', '/', O_WRONLY).write(bytes('HELLO'), 0);
    vfs.unlink('/etc/hosts', '/');
    vfs.symlink('/data/big', '/big', '/');
    vfs.mknod('/data/fifo', '/', S_IFIFO, 0o640);
    vfs.chmod('/home/user/notes.txt', '/', 0o600);
    vfs.utimens('/home/user/notes.txt', '/', { sec: 7, nsec: 8 }, 'omit');
    vfs.rename('/home/user', '/', '/me', '/');
  }

  it('describes the writable layer as plain data with per-block contents', () => {
    const vfs = fresh();
    mutate(vfs);
    const state = vfs.save();
    const byPath = new Map(state.nodes.map((n) => [n.path, n]));
    assert.equal(byPath.get('/etc/hosts')?.kind, 'whiteout');
    assert.equal(byPath.get('/big')?.kind, 'symlink');
    const fifo = byPath.get('/data/fifo');
    assert.ok(fifo && fifo.kind === 'special' && fifo.type === S_IFIFO && fifo.meta.perm === 0o640);
    const big = byPath.get('/data/big');
    assert.ok(big && big.kind === 'file');
    assert.equal(big.size, 3 * 4096 + 14);
    assert.deepEqual(
      big.blocks.map((b) => b.index),
      [0, 3],
    );
    assert.ok(big.blocks.every((b) => b.data.length === 4096));
    const me = byPath.get('/me');
    assert.ok(me && me.kind === 'dir' && me.redirect === '/home/user');
    // Parents come before their children so a reader can rebuild the tree in one pass.
    const paths = state.nodes.map((n) => n.path);
    for (const p of paths) if (p !== '/') assert.ok(paths.indexOf(p.slice(0, p.lastIndexOf('/')) || '/') < paths.indexOf(p), p);
  });

  it('round-trips into a fresh Vfs', () => {
    const a = fresh();
    mutate(a);
    const state = a.save();
    const b = fresh();
    b.restore(state);
    assert.deepEqual(b.save(), state);
    assert.equal(readText(b, '/me/notes.txt'), 'HELLO from the host\n');
    assert.equal(b.stat('/data/fifo', '/').mode, S_IFIFO | 0o640);
    const notes = b.stat('/me/notes.txt', '/');
    assert.equal(notes.mode, S_IFREG | 0o600);
    assert.deepEqual(notes.atime, { sec: 7, nsec: 8 });
    assertErrno(() => b.stat('/etc/hosts', '/'), ENOENT);
    assertErrno(() => b.stat('/home/user', '/'), ENOENT);
    assert.deepEqual(list(b, '/me'), list(a, '/me'));
    assert.deepEqual(b.stat('/data/big', '/'), a.stat('/data/big', '/'));
    assert.equal(readText(b, '/big').slice(0, 4), 'head');
    // New inode numbers continue where the exported layer stopped.
    b.mkdir('/x', '/', 0o755);
    a.mkdir('/x', '/', 0o755);
    assert.equal(b.stat('/x', '/').ino, a.stat('/x', '/').ino);
  });

  it('keeps an exported snapshot unchanged by later writes, and restores it', () => {
    const vfs = fresh();
    mutate(vfs);
    const state = vfs.save();
    const copy = structuredClone(state);
    vfs.open('/data/big', '/', O_WRONLY).write(bytes('XXXX'), 0);
    vfs.unlink('/big', '/');
    assert.deepEqual(state, copy);
    vfs.restore(state);
    assert.equal(readText(vfs, '/big').slice(0, 4), 'head');
    // Writing after an import must not alter the imported blocks either.
    vfs.open('/data/big', '/', O_WRONLY).write(bytes('YYYY'), 0);
    assert.deepEqual(state, copy);
  });

  it('exports just the root when nothing changed, and reading changes nothing', () => {
    const vfs = fresh();
    assert.equal(readText(vfs, '/etc/hosts'), '127.0.0.1 localhost\n');
    list(vfs, '/sdcard');
    const state = vfs.save();
    assert.deepEqual(
      state.nodes.map((n) => n.path),
      ['/'],
    );
  });
});
