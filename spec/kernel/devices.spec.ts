/** /dev: the standard character devices, served whatever the root folder holds under /dev. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runElf } from '../support/boot';
import { fixtureElf, sameAsQemu, snippetElf } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: device nodes', () => {
  it('stat, read and write /dev/null, zero, full, random, urandom and tty as under qemu-arm, over a --root with its own dev/', () => {
    const root = tempDir();
    // A root folder whose dev/null is a plain file must not change what the guest sees.
    fs.mkdirSync(path.join(root, 'dev'));
    fs.writeFileSync(path.join(root, 'dev', 'null'), 'not a device\n');
    const r = sameAsQemu(fixtureElf('devices'), ['devices'], root);
    const out = r.stdout.toString();
    assert.match(out, /^\/dev\/null: char 1,3 mode 666 size 0\n/);
    assert.match(out, /full: write ENOSPC, read 16 first 0\n/);
    assert.match(out, /tty: open ENXIO\n/);
    assert.equal(fs.readFileSync(path.join(root, 'dev', 'null'), 'utf8'), 'not a device\n', 'host folder untouched');
  });

  it("/dev/urandom gives the seeded generator's bytes: the same for the same seed", () => {
    const elf = snippetElf(
      'rand',
      '#include <fcntl.h>\n#include <stdio.h>\n#include <unistd.h>\n' +
        'int main(void){unsigned char b[16];int fd=open("/dev/urandom",O_RDONLY);if(read(fd,b,16)!=16)return 1;' +
        'for(int i=0;i<16;i++)printf("%02x",b[i]);printf("\\n");return 0;}\n',
    );
    const a = runElf(elf, { seed: 7 }).stdout.toString();
    assert.match(a, /^[0-9a-f]{32}\n$/);
    assert.equal(runElf(elf, { seed: 7 }).stdout.toString(), a);
    assert.notEqual(runElf(elf, { seed: 8 }).stdout.toString(), a);
  });
});
