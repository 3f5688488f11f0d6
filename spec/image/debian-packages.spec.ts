/** Reading apt's answers without apt: dependency lists, index stanzas, the closure a root needs. */
import { strict as assert } from 'assert';
import { debFileName, dependencyClosure, isPackageName, parseDepends, parseIndexStanzas, RootfsError } from '../../emulator/image/debian-packages';

// The shapes `apt-cache depends --recurse` prints (LC_ALL=C): ` |` opens or continues an `a | b`
// group, two spaces end it, `<name>` is virtual, four spaces list an alternative's providers.
const DEPENDS = [
  'tool',
  '  PreDepends: libc6',
  ' |Depends: cron',
  ' |Depends: anacron',
  '    systemd-cron',
  ' |Depends: <cron-daemon>',
  '    bcron',
  '    cron',
  '  Depends: systemd-sysv',
  '  Depends: <python3:any>',
  '    python3',
  '  Conflicts: tool-old',
  'libc6',
  '  Depends: libgcc-s1',
  'cron',
  '  Depends: libc6',
  'anacron',
  'systemd-cron',
  'bcron',
  'systemd-sysv',
  'python3',
  '  Depends: libc6',
  'libgcc-s1',
  '  Depends: libc6',
  '<awk>',
  '',
].join('\n');

describe('image: Debian package metadata', () => {
  it('parses dependency groups, keeping Depends and PreDepends only', () => {
    const g = parseDepends(DEPENDS);
    const tool = g.packages.get('tool')!;
    assert.deepEqual(
      tool.map((group) => group.map((a) => (a.virtual ? `<${a.name}>` : a.name))),
      [['libc6'], ['cron', 'anacron', '<cron-daemon>', 'systemd-sysv'], ['<python3:any>']],
    );
    assert.deepEqual(tool[1][2].providers, ['bcron', 'cron']);
    assert.deepEqual(tool[2][0].providers, ['python3']);
    assert.deepEqual([...g.virtualNames], ['awk']);
    assert.deepEqual(g.packages.get('anacron'), []);
  });

  it('refuses output it does not understand', () => {
    assert.throws(() => parseDepends('tool\n\tDepends libc6\n'), RootfsError);
  });

  it('takes the first alternative, a virtual name through its first real provider, each package once', () => {
    const c = dependencyClosure(parseDepends(DEPENDS), ['tool'], []);
    assert.deepEqual(c.packages, ['tool', 'libc6', 'cron', 'python3', 'libgcc-s1']);
    assert.deepEqual([c.unknown, c.virtual, c.unresolved], [[], [], []]);
  });

  it('adds nothing the root already has, and no alternative when the root satisfies the group', () => {
    const c = dependencyClosure(parseDepends(DEPENDS), ['tool', 'libc6'], ['libc6', 'bcron']);
    assert.deepEqual(c.packages, ['tool', 'python3']);
  });

  it('reports unknown and virtual-only requests and unsatisfiable groups', () => {
    const text = 'lonely\n |Depends: gone\n  Depends: <nothing>\n';
    const c = dependencyClosure(parseDepends(text + '<awk>\n'), ['nosuch', 'awk', 'lonely'], []);
    assert.deepEqual(c.unknown, ['nosuch']);
    assert.deepEqual(c.virtual, ['awk']);
    assert.deepEqual(c.unresolved, ['lonely: gone | nothing']);
    assert.deepEqual(c.packages, ['lonely']);
  });

  it('reads the candidate index stanzas, description continuation lines and all', () => {
    const text = [
      'Package: zlib1g',
      'Version: 1:1.2.13.dfsg-1',
      'Architecture: armhf',
      'Description: compression library',
      ' Size: not a field, a description line',
      'Size: 73844',
      'SHA256: ' + 'AB'.repeat(32),
      '',
      'Package: media-types',
      'Version: 10.0.0',
      'Architecture: all',
      'Size: 26136',
      'SHA256: ' + '01'.repeat(32),
      '',
    ].join('\n');
    const m = parseIndexStanzas(text);
    assert.deepEqual(m.get('zlib1g'), { package: 'zlib1g', version: '1:1.2.13.dfsg-1', architecture: 'armhf', size: 73844, sha256: 'ab'.repeat(32) });
    assert.equal(m.get('media-types')!.architecture, 'all');
    assert.throws(() => parseIndexStanzas('Package: x\nVersion: 1\nArchitecture: armhf\nSize: 1\n'), /without SHA256/);
  });

  it("names .deb files as apt-get download does (an epoch's colon as %3a)", () => {
    assert.equal(debFileName({ package: 'zlib1g', version: '1:1.2.13.dfsg-1', architecture: 'armhf' }), 'zlib1g_1%3a1.2.13.dfsg-1_armhf.deb');
    assert.equal(debFileName({ package: 'media-types', version: '10.0.0', architecture: 'all' }), 'media-types_10.0.0_all.deb');
  });

  it('accepts Debian package names only', () => {
    for (const ok of ['lua5.4', 'libstdc++6', 'python3.11-minimal', 'g++']) assert.ok(isPackageName(ok), ok);
    for (const bad of ['Lua', '-o', 'a', 'lua:armhf', 'x/y', 'a b', '']) assert.ok(!isPackageName(bad), bad);
  });
});
