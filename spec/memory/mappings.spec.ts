import { strict as assert } from 'assert';
import * as path from 'path';
import { runElf } from '../support/boot';
import { runBoth } from '../support/differential';
import { compileC, tempDir } from '../support/toolchain';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'mappings.c');

/**
 * Cases whose output must equal qemu-arm's byte for byte. Not compared: file-sigbus (qemu-arm
 * raises SIGBUS for a page wholly beyond the end of the mapped file; clonecloud reads zeros there).
 */
const AGAINST_QEMU = [
  'fixed-code',
  'protect-code',
  'unmap-part',
  'self-modify',
  'file-private',
  'file-shared',
  'remap',
  'advise',
  'msync',
  'map-errors',
  'mincore',
];

/**
 * Cases where qemu-arm answers from its host's view of its own reserved memory (0 for msync and
 * madvise over holes, unknown advice ignored): the expected text is Linux's (mm/msync.c, mm/madvise.c).
 */
const LINUX_ANSWERS: Record<string, string> = {
  'msync-unmapped': 'unmapped: -1 errno 12\n',
  'advise-errors': 'bad advice: -1 errno 22\ndontneed over a hole: -1 errno 12, mapped part 0\n',
};

describe('memory: map semantics (MAP_FIXED, mprotect, munmap, file-backed mappings, mremap, madvise, msync)', () => {
  const elf = compileC(FIXTURE);

  for (const name of AGAINST_QEMU) {
    it(`${name}: same output as qemu-arm`, () => {
      const root = tempDir();
      const r = runBoth({ elf, argv: ['mappings', name], env: {}, root });
      assert.equal(r.qemu.status, 0, r.qemu.stderr.toString());
      assert.equal(r.difference, undefined, r.difference);
    });
  }

  // Not modelled yet: pages of a mapping wholly beyond the end of its file read as zeros.
  it.skip('file-sigbus: SIGBUS beyond the last page of the file, as qemu-arm');

  for (const [name, expected] of Object.entries(LINUX_ANSWERS)) {
    it(`${name}: Linux's error answers`, () => {
      const r = runElf(elf, { argv: ['mappings', name], env: {}, cwd: '/', root: tempDir() });
      assert.equal(r.stdout.toString(), expected);
      assert.equal(r.status, 0);
    });
  }

  it('the translated code of remapped and reprotected pages is dropped without the dirty-page bitmap too', () => {
    for (const name of ['fixed-code', 'protect-code', 'unmap-part', 'self-modify']) {
      const base = runElf(elf, { argv: ['mappings', name], env: {}, cwd: '/', root: tempDir() });
      const plain = runElf(elf, { argv: ['mappings', name], env: {}, cwd: '/', root: tempDir(), engine: { trackDirty: false } });
      assert.equal(plain.stdout.toString(), base.stdout.toString(), name);
    }
  });
});
