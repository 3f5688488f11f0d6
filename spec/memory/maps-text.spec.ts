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
});
