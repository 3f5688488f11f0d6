/** File times: the host's for files of a root folder, the modelled clock's for files the guest writes. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { runElf } from '../support/boot';
import { compileC, tempDir } from '../support/toolchain';

describe('kernel: file times', () => {
  it('host files show their host times to the nanosecond; new files the time of writing, as under qemu-arm', () => {
    const root = tempDir();
    const old = path.join(root, 'old.txt');
    fs.writeFileSync(old, 'from the host\n');
    fs.utimesSync(old, 1580702706.25, 1614834367.5);
    // The program writes below w/, so the root folder's own times stay as they are for both runs.
    fs.mkdirSync(path.join(root, 'w'));
    fs.chmodSync(path.join(root, 'w'), 0o777);
    const r = sameAsQemu(fixtureElf('filetimes'), ['filetimes'], root);
    const out = r.stdout.toString();
    assert.match(out, /^old\.txt mtime 1614834367\.500000000 ctime \d+\.\d{9}\n/);
    assert.match(out, /new\.txt mtime within the write: yes\n/);
  });

  it('a host file reads the same times in every run, even after the host itself read it (atime shown as mtime)', () => {
    const root = tempDir();
    const file = path.join(root, 'data.txt');
    fs.writeFileSync(file, 'data\n');
    fs.utimesSync(file, 1500000000, 1614834367.5);
    const elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'stat-times.c'));
    const first = runElf(elf, { root, argv: ['stat-times', '/data.txt'] });
    // What any reader does to the host file (relatime moves atime on a read after a change).
    fs.utimesSync(file, 1700000000, 1614834367.5);
    const second = runElf(elf, { root, argv: ['stat-times', '/data.txt'] });
    assert.equal(first.status, 0);
    assert.equal(second.stdout.toString(), first.stdout.toString());
    assert.equal(first.stdout.toString(), 'atime 1614834367.500000000 mtime 1614834367.500000000\n');
  });
});
