/** chmod, chown, utimensat, symlinkat and mknodat as an unprivileged Linux process sees them. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runElf } from '../support/boot';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: file attributes and special names', () => {
  it('match qemu-arm run as an ordinary user, and never change the host folder', () => {
    const root = tempDir();
    const host = path.join(root, 'host.txt');
    fs.writeFileSync(host, 'from the host\n');
    if (process.getuid?.() === 0) fs.chownSync(host, 65534, 65534);
    const elf = fixtureElf('fsmeta');
    const hostBefore = fs.statSync(host);
    runElf(elf, { argv: ['fsmeta'], root });
    assert.deepEqual(fs.readdirSync(root), ['host.txt'], 'nothing created in the host folder');
    const hostAfter = fs.statSync(host);
    assert.equal(hostAfter.mode, hostBefore.mode);
    assert.equal(hostAfter.mtimeMs, hostBefore.mtimeMs);
    const r = sameAsQemu(elf, ['fsmeta'], root);
    const out = r.stdout.toString();
    assert.match(out, /^chmod: ok -> 640\n/);
    assert.match(out, /\nchown to root: EPERM\n/);
    assert.match(out, /\nutimensat: ok mtime 1100000000987654321 atime 1000000000123456789\n/);
    assert.match(out, /\nmknodat char device: EPERM\n/);
  });
});
