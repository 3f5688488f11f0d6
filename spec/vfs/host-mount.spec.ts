import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { EACCES, EINVAL, ENOENT } from '../../emulator/abi/errno';
import { DT_DIR, DT_LNK, DT_REG, O_RDONLY, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG } from '../../emulator/abi/fcntl';
import { assertErrno, list, makeHostTree, makeVfs, readText, removeTree } from './helpers';

describe('vfs: host folder mount', () => {
  let host: string;
  beforeEach(() => {
    host = makeHostTree();
  });
  afterEach(() => removeTree(host));

  it('shows files, folders and their contents', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    assert.equal(readText(vfs, '/home/user/notes.txt'), 'hello from the host\n');
    assert.deepEqual(list(vfs, '/home/user'), ['empty', 'escape', 'link', 'notes.txt']);
    const st = vfs.stat('/home/user/notes.txt', '/');
    assert.equal(st.mode & S_IFMT, S_IFREG);
    assert.equal(st.size, 'hello from the host\n'.length);
    assert.equal(vfs.stat('/home/user', '/').mode & S_IFMT, S_IFDIR);
  });

  it('reports symlinks as symlinks and resolves them in guest space', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    assert.equal(vfs.stat('/home/user/link', '/', false).mode & S_IFMT, S_IFLNK);
    assert.equal(vfs.readlink('/home/user/link', '/'), 'notes.txt');
    assert.equal(readText(vfs, '/home/user/link'), 'hello from the host\n');
    // The absolute target means the guest's /etc/hosts, never the host's.
    assert.equal(readText(vfs, '/abs'), '127.0.0.1 localhost\n');
    assertErrno(() => vfs.readlink('/home/user/notes.txt', '/'), EINVAL);
  });

  it('never escapes the folder through ".." or symlinks', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    assert.equal(vfs.resolve('/home/user/escape', '/'), '/');
    assert.deepEqual(
      list(vfs, '/home/user/escape')
        .filter((n) => !['dev', 'proc', 'sys'].includes(n))
        .sort(),
      ['abs', 'etc', 'home'],
    );
    assert.equal(vfs.resolve('/../../..', '/'), '/');
    assert.equal(vfs.resolve('../../../etc', '/home'), '/etc');
  });

  it('lists entries with inode numbers and types, "." and ".." first', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    const entries = vfs.open('/home/user', '/', O_RDONLY).readdir();
    assert.deepEqual(
      entries.map((e) => e.name),
      ['.', '..', 'empty', 'escape', 'link', 'notes.txt'],
    );
    assert.deepEqual(
      entries.map((e) => e.type),
      [DT_DIR, DT_DIR, DT_DIR, DT_LNK, DT_LNK, DT_REG],
    );
    assert.equal(entries[0].ino, vfs.stat('/home/user', '/').ino);
    assert.equal(entries[1].ino, vfs.stat('/home', '/').ino);
    const inos = new Set(entries.slice(2).map((e) => e.ino));
    assert.equal(inos.size, 4);
    for (const ino of inos) assert.ok(ino > 0 && ino < 2 ** 32);
  });

  it('follows host changes because nothing is cached', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    fs.writeFileSync(path.join(host, 'home/user/later.txt'), 'new');
    assert.equal(readText(vfs, '/home/user/later.txt'), 'new');
    fs.unlinkSync(path.join(host, 'home/user/later.txt'));
    assertErrno(() => vfs.stat('/home/user/later.txt', '/'), ENOENT);
  });

  it('never writes to the host folder', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }]);
    vfs.unlink('/home/user/notes.txt', '/');
    vfs.mkdir('/home/user/new', '/', 0o755);
    assert.ok(fs.existsSync(path.join(host, 'home/user/notes.txt')));
    assert.ok(!fs.existsSync(path.join(host, 'home/user/new')));
  });

  it("mounts a folder below the root, reporting the host files' times and the guest as owner", () => {
    const vfs = makeVfs([{ type: 'host', source: path.join(host, 'home'), target: '/data/home' }], {
      imageTime: { sec: 1000, nsec: 5 },
      uid: 10001,
      gid: 10001,
    });
    const st = vfs.stat('/data/home/user/notes.txt', '/');
    const hs = fs.statSync(path.join(host, 'home/user/notes.txt'), { bigint: true });
    assert.deepEqual(st.mtime, { sec: Number(hs.mtimeNs / 10n ** 9n), nsec: Number(hs.mtimeNs % 10n ** 9n) });
    assert.deepEqual(st.ctime, { sec: Number(hs.ctimeNs / 10n ** 9n), nsec: Number(hs.ctimeNs % 10n ** 9n) });
    // Implicit directories made for the mount have no host counterpart: they keep the image time.
    assert.deepEqual(vfs.stat('/data', '/').mtime, { sec: 1000, nsec: 5 });
    assert.equal(st.uid, 10001);
    assert.deepEqual(list(vfs, '/data'), ['home']);
    assert.deepEqual(list(vfs, '/'), ['data', 'dev', 'proc', 'sys']);
  });

  it('checks permissions for unprivileged guests', () => {
    fs.chmodSync(path.join(host, 'etc/hosts'), 0o444);
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }], { uid: 10001, gid: 10001, imageUid: 0, imageGid: 0 });
    assertErrno(() => vfs.access('/etc/hosts', '/', 2), EACCES);
    vfs.access('/etc/hosts', '/', 4);
  });
});
