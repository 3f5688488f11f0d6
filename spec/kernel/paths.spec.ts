/** Path arguments: Linux's length limits give ENAMETOOLONG, never EFAULT. */
import { tempDir } from '../support/toolchain';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { strict as assert } from 'assert';

describe('kernel: path limits', () => {
  it('paths of 4,096 bytes or more and names over 255 bytes give ENAMETOOLONG, as under qemu-arm', () => {
    const r = sameAsQemu(fixtureElf('longpath'), ['longpath'], tempDir());
    assert.match(r.stdout.toString(), /over stat\(4096 bytes\): ENAMETOOLONG\n/);
    assert.match(r.stdout.toString(), /limit open\(4095 bytes\): ok\n/);
  });
});
