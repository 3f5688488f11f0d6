import { strict as assert } from 'assert';
import { EBADF, EEXIST, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EINVAL } from '../../emulator/abi/errno';
import { O_APPEND, O_CREAT, O_EXCL, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, S_IFMT, S_IFREG } from '../../emulator/abi/fcntl';
import { assertErrno, bytes, list, makeHostTree, makeVfs, readAll, readText, removeTree } from './helpers';

describe('vfs: writable layer', () => {
  let host: string;
  let clock: number;
  const now = () => ({ sec: clock, nsec: 0 });
  const fresh = () =>
    makeVfs(
      [
        { type: 'host', source: host, target: '/' },
        { type: 'synth', target: '/sdcard', seed: 4, entries: 50, fanout: 3, maxDepth: 2, dirRatio: 0.2 },
      ],
      { now },
    );
  beforeEach(() => {
    host = makeHostTree();
    clock = 5000;
  });
  afterEach(() => removeTree(host));

  it('copies an image file up on write and keeps its inode', () => {
    const vfs = fresh();
    const ino = vfs.stat('/home/user/notes.txt', '/').ino;
    const reader = vfs.open('/home/user/notes.txt', '/', O_RDONLY);
    const f = vfs.open('/home/user/notes.txt', '/', O_RDWR);
    clock = 6000;
    f.write(bytes('HELLO'), 0);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'HELLO from the host\n');
    // A descriptor opened before the copy-up sees the new bytes too.
    assert.equal(Buffer.from(readAll(reader)).toString(), 'HELLO from the host\n');
    const st = vfs.stat('/home/user/notes.txt', '/');
    assert.equal(st.ino, ino);
    assert.deepEqual(st.mtime, { sec: 6000, nsec: 0 });
  });

  it('creates files, honours O_EXCL, O_TRUNC and writes at offsets with holes', () => {
    const vfs = fresh();
    const f = vfs.open('new.bin', '/home/user', O_CREAT | O_WRONLY, 0o640);
    assert.equal(f.path, '/home/user/new.bin');
    f.write(bytes('abc'), 10000);
    assert.equal(f.size(), 10003);
    const data = readAll(vfs.open('/home/user/new.bin', '/', O_RDONLY));
    assert.ok(data.subarray(0, 10000).every((b) => b === 0));
    assert.equal(Buffer.from(data.subarray(10000)).toString(), 'abc');
    const st = vfs.stat('/home/user/new.bin', '/');
    assert.equal(st.mode, S_IFREG | 0o640);
    assert.equal(st.blocks, 8, 'only the written block is allocated');
    assertErrno(() => vfs.open('/home/user/new.bin', '/', O_CREAT | O_EXCL | O_WRONLY), EEXIST);
    vfs.open('/home/user/new.bin', '/', O_WRONLY | O_TRUNC);
    assert.equal(vfs.stat('/home/user/new.bin', '/').size, 0);
  });

  it('truncates and extends with zeros; old bytes never come back', () => {
    const vfs = fresh();
    vfs.truncate('/home/user/notes.txt', '/', 5);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'hello');
    vfs.truncate('/home/user/notes.txt', '/', 8);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'hello\0\0\0');
    const f = vfs.open('/home/user/notes.txt', '/', O_RDWR);
    f.truncate(2);
    f.truncate(4);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'he\0\0');
    assertErrno(() => vfs.truncate('/home/user', '/', 0), EISDIR);
    assertErrno(() => vfs.open('/home/user/notes.txt', '/', O_RDONLY).truncate(0), EINVAL);
    assertErrno(() => vfs.open('/home/user/notes.txt', '/', O_RDONLY).write(bytes('x'), 0), EBADF);
  });

  it('appends at the end when the caller writes at size()', () => {
    const vfs = fresh();
    const f = vfs.open('/home/user/notes.txt', '/', O_WRONLY | O_APPEND);
    f.write(bytes('more\n'), f.size());
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'hello from the host\nmore\n');
  });

  it('hides unlinked image files with whiteouts and lets them be created again', () => {
    const vfs = fresh();
    vfs.unlink('/home/user/notes.txt', '/');
    assertErrno(() => vfs.stat('/home/user/notes.txt', '/'), ENOENT);
    assert.deepEqual(list(vfs, '/home/user'), ['empty', 'escape', 'link']);
    assertErrno(() => vfs.unlink('/home/user/notes.txt', '/'), ENOENT);
    assertErrno(() => vfs.unlink('/home/user/empty', '/'), EISDIR);
    const f = vfs.open('/home/user/notes.txt', '/', O_CREAT | O_WRONLY);
    f.write(bytes('again'), 0);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'again');
    // The link points at the name, so it now reaches the new file.
    assert.equal(readText(vfs, '/home/user/link'), 'again');
    vfs.unlink('/home/user/link', '/');
    assertErrno(() => vfs.stat('/home/user/link', '/', false), ENOENT);
  });

  it('makes and removes directories; a recreated directory does not show old entries', () => {
    const vfs = fresh();
    vfs.mkdir('/tmp', '/', 0o1777);
    vfs.mkdir('/tmp/a', '/', 0o755);
    assertErrno(() => vfs.mkdir('/tmp/a', '/', 0o755), EEXIST);
    assertErrno(() => vfs.mkdir('/nope/a', '/', 0o755), ENOENT);
    assertErrno(() => vfs.rmdir('/tmp', '/'), ENOTEMPTY);
    assertErrno(() => vfs.rmdir('/etc/hosts', '/'), ENOTDIR);
    vfs.rmdir('/tmp/a', '/');
    vfs.unlink('/etc/hosts', '/');
    vfs.rmdir('/etc', '/');
    assertErrno(() => vfs.stat('/etc', '/'), ENOENT);
    vfs.mkdir('/etc', '/', 0o755);
    assert.deepEqual(list(vfs, '/etc'), []);
  });

  it('renames files over files and into other directories', () => {
    const vfs = fresh();
    const ino = vfs.stat('/etc/hosts', '/').ino;
    vfs.rename('/etc/hosts', '/', '/home/user/hosts', '/');
    assertErrno(() => vfs.stat('/etc/hosts', '/'), ENOENT);
    assert.equal(vfs.stat('/home/user/hosts', '/').ino, ino);
    vfs.rename('hosts', '/home/user', 'notes.txt', '/home/user');
    assert.equal(readText(vfs, '/home/user/notes.txt'), '127.0.0.1 localhost\n');
    assertErrno(() => vfs.rename('/home/user/notes.txt', '/', '/home/user/empty', '/'), EISDIR);
    assertErrno(() => vfs.rename('/home/user/empty', '/', '/home/user/notes.txt', '/'), ENOTDIR);
    assertErrno(() => vfs.rename('/home', '/', '/home/user/x', '/'), EINVAL);
  });

  it('renames image directories with their whole subtree, lazily', () => {
    const vfs = fresh();
    vfs.open('/home/user/extra', '/', O_CREAT | O_WRONLY).write(bytes('x'), 0);
    vfs.unlink('/home/user/link', '/');
    vfs.rename('/home', '/', '/house', '/');
    assertErrno(() => vfs.stat('/home', '/'), ENOENT);
    assert.deepEqual(list(vfs, '/house/user'), ['empty', 'escape', 'extra', 'notes.txt']);
    assert.equal(readText(vfs, '/house/user/notes.txt'), 'hello from the host\n');
    vfs.rename('/house/user', '/', '/u', '/');
    vfs.open('/u/notes.txt', '/', O_WRONLY).write(bytes('J'), 0);
    assert.equal(readText(vfs, '/u/notes.txt'), 'Jello from the host\n');
    assert.deepEqual(list(vfs, '/house'), []);
    // Moving a directory over an empty one replaces it.
    vfs.rename('/u', '/', '/house', '/');
    assert.deepEqual(list(vfs, '/house'), ['empty', 'escape', 'extra', 'notes.txt']);
    const sd = list(vfs, '/sdcard');
    vfs.rename('/sdcard', '/', '/media', '/');
    assert.deepEqual(list(vfs, '/media'), sd);
  });

  it('keeps an open file usable after it is unlinked', () => {
    const vfs = fresh();
    const f = vfs.open('/tmpfile', '/', O_CREAT | O_RDWR);
    f.write(bytes('data'), 0);
    vfs.unlink('/tmpfile', '/');
    const buf = new Uint8Array(4);
    assert.equal(f.read(buf, 0), 4);
    assert.equal(Buffer.from(buf).toString(), 'data');
    assert.equal(f.stat().mode & S_IFMT, S_IFREG);
  });

  it('creates and reads symlinks', () => {
    const vfs = fresh();
    vfs.symlink('/etc/hosts', '/h', '/');
    assert.equal(vfs.readlink('/h', '/'), '/etc/hosts');
    assert.equal(readText(vfs, '/h'), '127.0.0.1 localhost\n');
    assertErrno(() => vfs.symlink('x', '/h', '/'), EEXIST);
    // O_CREAT through a dangling symlink creates its target.
    vfs.symlink('/made-by-link', '/dangling', '/');
    vfs.open('/dangling', '/', O_CREAT | O_WRONLY).write(bytes('y'), 0);
    assert.equal(readText(vfs, '/made-by-link'), 'y');
    assertErrno(() => vfs.open('/dangling', '/', O_CREAT | O_EXCL | O_WRONLY), EEXIST);
  });
});
