import { strict as assert } from 'assert';
import { EACCES, EBUSY, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY } from '../../emulator/abi/errno';
import { O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_RDWR, O_WRONLY } from '../../emulator/abi/fcntl';
import { assertErrno, makeHostTree, makeVfs, readText, removeTree } from './helpers';
import { textName } from '../../emulator/vfs/path';

describe('vfs: path resolution', () => {
  let host: string;
  beforeEach(() => {
    host = makeHostTree();
  });
  afterEach(() => removeTree(host));
  const fresh = () => makeVfs([{ type: 'host', source: host, target: '/' }]);

  it('handles ".", "..", repeated slashes and relative paths', () => {
    const vfs = fresh();
    assert.equal(vfs.resolve('//home///user/./../user//notes.txt', '/'), '/home/user/notes.txt');
    assert.equal(vfs.resolve('..', '/'), '/');
    assert.equal(vfs.resolve('.', '/home/user'), '/home/user');
    assert.equal(vfs.resolve('../..', '/home/user'), '/');
    assert.equal(readText(vfs, 'user/notes.txt', '/home'), 'hello from the host\n');
    assertErrno(() => vfs.stat('', '/'), ENOENT);
  });

  it('needs directories for trailing slashes and intermediate components', () => {
    const vfs = fresh();
    assert.equal(vfs.resolve('/home/user/', '/'), '/home/user');
    assertErrno(() => vfs.stat('/etc/hosts/', '/'), ENOTDIR);
    assertErrno(() => vfs.stat('/etc/hosts/x', '/'), ENOTDIR);
    assertErrno(() => vfs.stat('/etc/hosts/..', '/'), ENOTDIR);
    assertErrno(() => vfs.open('/etc/nothing/', '/', O_CREAT | O_WRONLY), EISDIR);
    vfs.mkdir('/etc/newdir/', '/', 0o755);
    assertErrno(() => vfs.stat('/missing/x', '/'), ENOENT);
  });

  it('follows symlinks up to 40 hops, then ELOOP', () => {
    const vfs = fresh();
    vfs.symlink('l0', '/loop', '/');
    for (let i = 0; i < 40; i++) vfs.symlink(i === 39 ? '/etc/hosts' : `/l${i + 1}`, `/l${i}`, '/');
    // /loop -> l0 -> ... -> l39 -> /etc/hosts is 41 hops.
    assertErrno(() => vfs.stat('/loop', '/'), ELOOP);
    assert.equal(readText(vfs, '/l0'), '127.0.0.1 localhost\n');
    vfs.symlink('self', '/self', '/');
    assertErrno(() => vfs.open('/self', '/', O_RDONLY), ELOOP);
    assertErrno(() => vfs.open('/l0', '/', O_RDONLY | O_NOFOLLOW), ELOOP);
    assert.equal(vfs.stat('/self', '/', false).size, 4);
  });

  it('resolves ".." after a symlink from the link target', () => {
    const vfs = fresh();
    vfs.symlink('/home/user/empty', '/e', '/');
    assert.equal(vfs.resolve('/e/..', '/'), '/home/user');
    assert.equal(vfs.resolve('/e', '/'), '/home/user/empty');
  });

  it('rejects over-long paths and names', () => {
    const vfs = fresh();
    assertErrno(() => vfs.stat('/' + 'a'.repeat(256), '/'), ENAMETOOLONG);
    assertErrno(() => vfs.stat('/' + 'a/'.repeat(2048), '/'), ENAMETOOLONG);
    assertErrno(() => vfs.stat('/' + 'a'.repeat(255), '/'), ENOENT);
    // 128 two-byte characters are 256 bytes: the limit counts bytes, not characters (guest
    // names reach the VFS as byte strings).
    assertErrno(() => vfs.stat(textName('/' + 'é'.repeat(128)), '/'), ENAMETOOLONG);
  });

  it('returns the Linux errnos for directories and special names', () => {
    const vfs = fresh();
    assertErrno(() => vfs.open('/home', '/', O_WRONLY), EISDIR);
    assertErrno(() => vfs.open('/home', '/', O_RDWR), EISDIR);
    assertErrno(() => vfs.open('/etc/hosts', '/', O_RDONLY | O_DIRECTORY), ENOTDIR);
    assertErrno(() => vfs.open('/nothing', '/', O_RDONLY), ENOENT);
    assertErrno(() => vfs.rmdir('/home/user/empty/.', '/'), EINVAL);
    assertErrno(() => vfs.rmdir('/home/user/empty/..', '/'), ENOTEMPTY);
    assertErrno(() => vfs.rmdir('/', '/'), EBUSY);
    assertErrno(() => vfs.mkdir('/', '/', 0o755), EEXIST);
    assertErrno(() => vfs.unlink('/home/.', '/'), EISDIR);
    assertErrno(() => vfs.rename('/home/..', '/', '/x', '/'), EBUSY);
    assert.equal(vfs.open('/home', '/', O_RDONLY | O_DIRECTORY).isDirectory, true);
  });

  it('checks chdir targets', () => {
    const vfs = fresh();
    assert.equal(vfs.resolveDirectory('user', '/home'), '/home/user');
    assert.equal(vfs.resolveDirectory('/home/user/escape', '/'), '/');
    assertErrno(() => vfs.resolveDirectory('/etc/hosts', '/'), ENOTDIR);
    assertErrno(() => vfs.resolveDirectory('/nope', '/'), ENOENT);
  });

  it('enforces permissions for unprivileged guests', () => {
    const vfs = makeVfs([{ type: 'host', source: host, target: '/' }], { uid: 10001, gid: 10001, imageUid: 0, imageGid: 0 });
    assertErrno(() => vfs.open('/etc/x', '/', O_CREAT | O_WRONLY), EACCES);
    assertErrno(() => vfs.mkdir('/etc/d', '/', 0o755), EACCES);
    const own = makeVfs([{ type: 'host', source: host, target: '/' }], { uid: 10001, gid: 10001 });
    own.mkdir('/home/user/private', '/', 0o700);
    own.open('/home/user/private/f', '/', O_CREAT | O_WRONLY, 0o000);
    assertErrno(() => own.open('/home/user/private/f', '/', O_RDONLY), EACCES);
  });
});
