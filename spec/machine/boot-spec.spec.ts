import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { argBytes, bootArg, BootSpec, BootSpecError, parseBootSpec, programHash } from '../../emulator/machine/boot-spec';
import { Machine } from '../../emulator/machine/machine';
import { silentWiring } from '../../emulator/machine/host-wiring';
import { ProfileError } from '../../emulator/errors';
import { findProfile } from '../../emulator/model/profiles';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { bootSpec, testBootSpec } from '../support/boot';
import { collect } from '../support/images';
import { compileC } from '../support/toolchain';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'show-boot.c');

/** Bytes that are not UTF-8 (a Latin-1 "é" and a lone continuation byte). */
const NOT_UTF8 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x80]);

/** Run `spec` to its end and describe the run. */
function runSpec(spec: BootSpec, elf: Uint8Array): { stdout: string; status: number | undefined; instructions: bigint; memory: string } {
  const b = bootSpec(spec, elf);
  try {
    assert.equal(b.machine.run(), 'exited');
    return {
      stdout: b.stdout().toString('latin1'),
      status: b.machine.kernel.exitState?.status,
      instructions: b.machine.instructions,
      memory: memoryDigest(b.machine.space),
    };
  } finally {
    b.machine.close();
    collect();
  }
}

describe('boot record', function () {
  this.timeout(120_000);
  let elfPath: string;
  let elf: Uint8Array;
  before(async () => {
    await initHashing();
    elfPath = compileC(FIXTURE);
    elf = new Uint8Array(fs.readFileSync(elfPath));
  });

  /** A record with every kind of field filled in, a non-UTF-8 argument among them. */
  function fullSpec(): BootSpec {
    const spec = testBootSpec(elfPath, { env: { HOME: '/', LANG: 'C' }, seed: 7, profile: 'pixel-8' });
    spec.argv = ['show-boot', 'plain', bootArg('ünïcode'), bootArg(NOT_UTF8)];
    return spec;
  }

  it('keeps text arguments as text and carries non-UTF-8 arguments as exact bytes', () => {
    assert.equal(bootArg('ünïcode'), 'ünïcode');
    assert.equal(bootArg(new Uint8Array(Buffer.from('ünïcode'))), 'ünïcode', 'UTF-8 bytes travel as text');
    const arg = bootArg(NOT_UTF8);
    assert.deepEqual(arg, { base64: Buffer.from(NOT_UTF8).toString('base64') });
    assert.deepEqual(argBytes(JSON.parse(JSON.stringify(arg)) as typeof arg), NOT_UTF8);
  });

  it('names the program by guest path, host file and content hash', () => {
    const spec = testBootSpec(elfPath);
    assert.deepEqual(spec.program, { path: '/' + path.basename(elfPath), host: path.resolve(elfPath), sha256: programHash(elf) });
    assert.match(spec.program.sha256!, /^[0-9a-f]{64}$/);
  });

  it('comes back equal through JSON and validation', () => {
    const spec = fullSpec();
    const text = JSON.stringify(spec);
    const back = parseBootSpec(JSON.parse(text), 'record');
    assert.deepEqual(back, spec);
    assert.equal(JSON.stringify(back), text);
  });

  it('boots the same from the record that came through JSON', () => {
    const spec = fullSpec();
    const direct = runSpec(spec, elf);
    const travelled = runSpec(parseBootSpec(JSON.parse(JSON.stringify(spec)), 'record'), elf);
    assert.deepEqual(travelled, direct);
    assert.equal(direct.status, 4);
    assert.match(
      direct.stdout,
      /^arg show-boot\narg plain\narg \\xc3\\xbcn\\xc3\\xafcode\narg caf\\xe9\\x80\nenv HOME=\/\nenv LANG=C\ncwd \/\nrandom [0-9a-f]{8}\n$/,
    );
  });

  it('reaches the guest: a different seed draws different random bytes', () => {
    const a = runSpec({ ...fullSpec(), seed: 1 }, elf);
    const b = runSpec({ ...fullSpec(), seed: 2 }, elf);
    assert.notEqual(a.stdout.split('random')[1], b.stdout.split('random')[1]);
  });

  it('refuses program bytes that are not the program it names, before reserving memory', () => {
    const spec = testBootSpec(elfPath);
    const other = elf.slice();
    other[other.length - 1] ^= 1;
    assert.throws(
      () => new Machine(spec, silentWiring({ elf: other })),
      (e: Error) => e instanceof BootSpecError && /are not the program the boot record names/.test(e.message),
    );
    // Without a hash any bytes go (a record made by hand, or restored from an old checkpoint).
    const { sha256: _, ...unnamed } = spec.program;
    new Machine({ ...spec, program: unnamed }, silentWiring({ elf })).close();
    collect();
  });

  it('says which field of a malformed record is wrong', () => {
    const good = JSON.parse(JSON.stringify(fullSpec())) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [null, /must be a JSON object/],
      [[good], /must be a JSON object/],
      [{ ...good, name: '' }, /"name"/],
      [{ ...good, program: 'x' }, /"program" must be an object/],
      [{ ...good, program: { path: 'relative' } }, /"program.path"/],
      [{ ...good, program: { path: '/p', sha256: 'ABC' } }, /"program.sha256"/],
      [{ ...good, program: { path: '/p', host: 3 } }, /"program.host"/],
      [{ ...good, argv: [] }, /"argv"/],
      [{ ...good, argv: ['a', new Uint8Array(2)] }, /"argv"/],
      [{ ...good, argv: ['a', { base64: '!!' }] }, /"argv"/],
      [{ ...good, argv: ['a', { base64: 'AA==', extra: 1 }] }, /"argv"/],
      [{ ...good, env: ['A=1', 2] }, /"env"/],
      [{ ...good, cwd: 'tmp' }, /"cwd"/],
      [{ ...good, rootfs: {} }, /"rootfs"/],
      [{ ...good, rootfsBase: null }, /"rootfsBase"/],
      [{ ...good, seed: -1 }, /"seed"/],
      [{ ...good, seed: 2 ** 32 }, /"seed"/],
    ];
    for (const [raw, why] of cases) {
      assert.throws(
        () => parseBootSpec(raw, 'record'),
        (e: Error) => e instanceof BootSpecError && /^record: /.test(e.message) && why.test(e.message),
        JSON.stringify(raw),
      );
    }
    assert.throws(
      () => parseBootSpec({ ...good, profile: { ...findProfile('htc-g1'), ramBytes: 'lots' } }, 'record'),
      (e: Error) => e instanceof ProfileError && /"ramBytes"/.test(e.message),
    );
  });
});
