/** File names are bytes end to end: host names that are not UTF-8, guest-created ones, checkpoints. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { CheckpointStore } from '../../emulator/store/store';
import { bootElf } from '../support/boot';
import { checkpointAtMarker } from '../support/marker-checkpoint';
import { compileC, runQemu, tempDir } from '../support/toolchain';

/** A host path whose last part is the given raw bytes. */
function raw(dir: string, ...parts: (string | number[])[]): Buffer {
  const bytes = parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p)));
  return Buffer.concat([Buffer.from(dir + '/'), ...bytes]);
}

/** A host folder "host" holding a\xff, café (UTF-8), a symlink l\xfa -> a\xff and a folder d\xe9. */
function makeTree(): string {
  const dir = tempDir('cc-bytes-');
  fs.chmodSync(dir, 0o755);
  const host = path.join(dir, 'host');
  fs.mkdirSync(host);
  fs.writeFileSync(raw(host, 'a', [0xff]), 'ff\n');
  fs.writeFileSync(raw(host, 'café'), 'utf-8\n');
  fs.symlinkSync(raw(host, 'a', [0xff]).subarray(host.length + 1), raw(host, 'l', [0xfa]));
  fs.mkdirSync(raw(host, 'd', [0xe9]));
  return dir;
}

describe('vfs: file names are bytes', function () {
  this.timeout(120_000);
  let elf: string;
  before(async () => {
    await initHashing();
    elf = compileC(path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'byte-names.c'), ['-D_FILE_OFFSET_BITS=64']);
  });

  it('lists, opens, creates (O_EXCL), renames and reads back non-UTF-8 names as qemu-arm does', () => {
    const ours = makeTree();
    const b = bootElf(elf, { root: ours });
    assert.equal(b.machine.run(), 'exited');
    b.machine.close();
    // The host folder is never modified.
    assert.deepEqual(fs.readdirSync(ours).sort(), ['host']);
    const q = runQemu(elf, ['byte-names'], {}, makeTree());
    assert.equal(q.status, 0, q.stderr.toString());
    assert.equal(b.stdout().toString('latin1'), q.stdout.toString('latin1'));
    const out = b.stdout().toString('latin1');
    assert.match(out, /create made\/new\\xff\n {2}-> ok, wrote 6\ncreate made\/new\\xfe\n {2}-> ok, wrote 7\ncreate made\/new\\xff\n {2}-> File exists\n/);
    assert.match(out, /read host\/a\\xff\n {2}-> 3 bytes: ff\n/);
    assert.match(out, /cwd ends in \/d\\xe9\n/);
  });

  it('takes names that are not UTF-8 from the command line byte for byte', () => {
    const root = makeTree();
    const bin = path.resolve(__dirname, '..', '..', '..', 'bin', 'clonecloud');
    // Node cannot pass such an argument itself: a shell builds it from printf's bytes.
    const script = 'exec "$0" "$1" boot --elf "$2" --root "$3" --cwd /host --no-summary -- "$(printf \'a\\377\')" caf\u00e9';
    const r = spawnSync('sh', ['-c', script, process.execPath, bin, elf, root], { input: '' });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.equal(r.stdout.toString('latin1'), 'read a\\xff\n  -> 3 bytes: ff\nread caf\\xc3\\xa9\n  -> 6 bytes: utf-8\n');
  });

  it('a checkpoint keeps the byte names of created files, and restores them', () => {
    const whole = bootElf(elf, { root: makeTree() });
    whole.machine.run();
    const expected = whole.stdout().toString('latin1');
    whole.machine.close();

    const store = CheckpointStore.open(tempDir('cc-bytes-store-'));
    try {
      const r = checkpointAtMarker(store, elf, { root: makeTree() });
      const names = r.manifest.vfs.nodes.map((n) => Buffer.from(n.path, 'latin1').toString('hex'));
      assert.ok(names.includes(Buffer.from('/made/new\xff', 'latin1').toString('hex')), names.join(' '));
      assert.ok(names.includes(Buffer.from('/made/ren\x80', 'latin1').toString('hex')), names.join(' '));
      assert.equal(r.before.toString('latin1') + r.after.toString('latin1'), expected);
    } finally {
      store.close();
    }
  });
});
