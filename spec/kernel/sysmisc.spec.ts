/** poll/ppoll, getrusage, prctl, getgroups/setgroups and sendfile, against qemu-arm. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runElf } from '../support/boot';
import { fixtureElf, sameAsQemu, snippetElf } from '../support/oracle';
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

  it('poll on the console streams: stdin is readable (data or end of input), stdout and stderr writable', () => {
    const elf = snippetElf(
      'pollcon',
      '#include <poll.h>\n#include <stdio.h>\n' +
        'int main(void){struct pollfd p[3]={{0,POLLIN|POLLOUT,0},{1,POLLIN|POLLOUT,0},{2,POLLIN|POLLOUT,0}};' +
        'int n=poll(p,3,-1);printf("%d %#x %#x %#x\\n",n,p[0].revents,p[1].revents,p[2].revents);return 0;}\n',
    );
    const r = runElf(elf, { stdin: new TextEncoder().encode('typed\n') });
    assert.equal(r.stdout.toString(), '3 0x1 0x4 0x4\n');
  });
});
