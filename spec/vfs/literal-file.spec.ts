import { strict as assert } from 'assert';
import { O_RDONLY, S_IFMT, S_IFREG } from '../../emulator/abi/fcntl';
import { list, makeHostTree, makeVfs, readText, removeTree } from './helpers';

describe('vfs: literal files and overlay order', () => {
  let host: string;
  beforeEach(() => {
    host = makeHostTree();
  });
  afterEach(() => removeTree(host));

  it('serves a literal file with its mode and creates parent directories', () => {
    const vfs = makeVfs([{ type: 'file', target: '/etc/motd', content: 'Welcome\n', mode: 0o600 }]);
    assert.equal(readText(vfs, '/etc/motd'), 'Welcome\n');
    const st = vfs.stat('/etc/motd', '/');
    assert.equal(st.mode, S_IFREG | 0o600);
    assert.equal(st.size, 8);
    assert.deepEqual(list(vfs, '/'), ['dev', 'etc', 'proc', 'sys']);
  });

  it('merges a literal file into a host directory', () => {
    const vfs = makeVfs([
      { type: 'host', source: host, target: '/' },
      { type: 'file', target: '/etc/motd', content: 'Welcome\n' },
    ]);
    assert.deepEqual(list(vfs, '/etc'), ['hosts', 'motd']);
    assert.equal(readText(vfs, '/etc/hosts'), '127.0.0.1 localhost\n');
    assert.equal(vfs.stat('/etc/motd', '/').mode & 0o777, 0o644);
  });

  it('lets later entries hide earlier ones', () => {
    const vfs = makeVfs([
      { type: 'file', target: '/etc/motd', content: 'first' },
      { type: 'file', target: '/etc/motd', content: 'second' },
      { type: 'file', target: '/etc/hosts', content: 'mine' },
      { type: 'host', source: host, target: '/' },
      { type: 'file', target: '/etc/hosts', content: 'override\n' },
    ]);
    // The host mount at / came later than the first motd, so only the host's /etc plus the last file show.
    assert.deepEqual(list(vfs, '/etc'), ['hosts']);
    assert.equal(readText(vfs, '/etc/hosts'), 'override\n');
  });

  it('replaces a non-directory with an implicit directory when a target goes below it', () => {
    const vfs = makeVfs([
      { type: 'host', source: host, target: '/' },
      { type: 'file', target: '/etc/hosts/inner', content: 'x' },
    ]);
    assert.deepEqual(list(vfs, '/etc/hosts'), ['inner']);
    assert.equal(vfs.open('/etc/hosts', '/', O_RDONLY).isDirectory, true);
    assert.equal(vfs.stat('/etc/hosts/inner', '/').mode & S_IFMT, S_IFREG);
  });
});
