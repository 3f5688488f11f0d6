import { strict as assert } from 'assert';
import { mapsText } from '../../emulator/memory/maps-text';

describe('memory: /proc/self/maps text', () => {
  it('prints each region as a 32-bit ARM kernel does: padded addresses, perms, names at column 49', () => {
    const text = mapsText([
      { start: 0x10000, end: 0x20000, prot: 5, kind: 'text', name: '/bin/prog' },
      { start: 0x40000000, end: 0x40002000, prot: 3, kind: 'mmap', name: '[anon]' },
      { start: 0x40002000, end: 0x40003000, prot: 3, kind: 'mmap', name: '[anon:shared]' },
      { start: 0xbe800000, end: 0xbf000000, prot: 3, kind: 'stack', name: '[stack]' },
    ]);
    const lines = text.split('\n');
    assert.equal(lines[0], '00010000-00020000 r-xp 00000000 00:00 0          /bin/prog');
    assert.equal(lines[0].indexOf('/bin/prog'), 49);
    assert.equal(lines[1], '40000000-40002000 rw-p 00000000 00:00 0 ', 'anonymous memory has no name (and a trailing space)');
    assert.equal(lines[2], '40002000-40003000 rw-s 00000000 00:00 0          /dev/zero (deleted)');
    assert.equal(lines[3], 'be800000-bf000000 rw-p 00000000 00:00 0          [stack]');
    assert.equal(lines[4], '');
  });

  it('shows the offset, device and inode of a file mapping, and marks a shared one', () => {
    const backing = { file: { path: '/lib/libc.so.6' } as never, key: `${(0xb3 << 8) | 2}:1234`, offset: 0x2e000, shared: true, writable: false };
    const line = mapsText([{ start: 0x40030000, end: 0x40031000, prot: 1, kind: 'mmap', name: '/lib/libc.so.6', backing }]);
    assert.equal(line, '40030000-40031000 r--s 0002e000 b3:02 1234       /lib/libc.so.6\n');
  });
});
