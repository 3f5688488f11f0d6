/** poll/ppoll, getrusage, prctl, getgroups/setgroups and sendfile, against qemu-arm. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: poll, getrusage, prctl, groups and sendfile', () => {
  it('answer as under qemu-arm run as an ordinary user', () => {
    const root = tempDir();
    const data = Buffer.alloc(4000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;
    fs.writeFileSync(path.join(root, 'data.txt'), data);
    if (process.getuid?.() === 0) fs.chownSync(path.join(root, 'data.txt'), 65534, 65534);
    const r = sameAsQemu(fixtureElf('sysmisc'), ['sysmisc'], root);
    const out = r.stdout.toString();
    assert.match(out, /^poll: ok 6: 0x5 0x1 0x5 0x1 0x41 0x20 0\n/);
    assert.match(out, /\n\/proc\/self\/comm: a-rather-long-t\n/);
    assert.match(out, /\ncopy: 6500 bytes, matches: yes\n/);
  });
});
