/**
 * The CloneCloud evaluation applications (virusscan, imagesearch, behavior): each boots the way a
 * user boots it, prints for its small and medium inputs the same bytes as the program under
 * qemu-arm (over a materialized copy of the tree for the scanner), keeps its heavy work in one
 * visible function, and is sized so the small input is cheap and the medium one is not.
 */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadImage, LoadedImage } from '../../emulator/image/manifest';
import { describeSynthTree, SynthDescribeInput } from '../../emulator/vfs/synth-index';
import { runQemu, tempDir } from '../support/toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

/** Each application with the function that holds its heavy work. */
const APPS: { name: string; fn: string }[] = [
  { name: 'virusscan', fn: 'scan_tree' },
  { name: 'imagesearch', fn: 'search_gallery' },
  { name: 'behavior', fn: 'profile_log' },
];

/** Instruction bounds per input size: small stays far below a sync's cost, medium is a real job. */
const BOUNDS: Record<string, [number, number]> = {
  small: [500_000, 10_000_000],
  medium: [100_000_000, 400_000_000],
};

interface Boot {
  stdout: Buffer;
  exitStatus: number;
  instructions: number;
  unimplementedSyscalls: unknown[];
}

/** `clonecloud boot images/NAME SIZE --json`. */
function boot(name: string, size: string): Boot {
  const r = spawnSync(process.execPath, [BIN, 'boot', path.join(ROOT, 'images', name), size, '--json'], { cwd: ROOT, maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  const summary = JSON.parse(r.stderr.toString().trimEnd().split('\n').pop()!) as Omit<Boot, 'stdout'>;
  return { stdout: r.stdout, ...summary };
}

type Entry = { type: string; target: string; content?: string };

/** Write the rootfs entries below guest folder `under` into host folder `dir` (guest / = dir). */
function materialize(img: LoadedImage, under: string, dir: string): void {
  for (const e of img.manifest.rootfs as Entry[]) {
    if (!e.target.startsWith(under)) continue;
    if (e.type === 'file') {
      const p = path.join(dir, e.target);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, e.content!);
    } else {
      assert.equal(e.type, 'synth');
      fs.mkdirSync(path.join(dir, e.target), { recursive: true });
      for (const f of describeSynthTree(e as unknown as SynthDescribeInput)) {
        const p = path.join(dir, f.path);
        if (f.type === 'dir') fs.mkdirSync(p, { recursive: true });
        else fs.writeFileSync(p, f.content(0, f.size));
      }
    }
  }
}

/** The scanner's signature database, regenerated here from its documented seed and rules. */
function signatures(): { name: string; bytes: string }[] {
  const families = ['Trojan.SMS', 'Spy.Loc', 'Adware.Push', 'Worm.Bt', 'Root.Exploit', 'Dropper.Apk', 'Fake.Inst', 'Bot.Irc'];
  let x = 0x5eed1234;
  const next = (): number => {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    return x;
  };
  return Array.from({ length: 400 }, (_, i) => {
    const len = 10 + (next() % 15);
    let bytes = '';
    for (let j = 0; j < len; j++) bytes += String.fromCharCode(0x21 + (next() % 94));
    return { name: `${families[i % 8]}.${String(i).padStart(3, '0')}`, bytes };
  });
}

describe('offload sample applications', function () {
  this.timeout(120_000);
  const images = new Map<string, LoadedImage>();
  const runs = new Map<string, Boot>();

  before(() => {
    for (const { name } of APPS) {
      const img = loadImage(path.join(ROOT, 'images', name));
      assert.ok(fs.existsSync(img.elfPath), `${img.elfPath} is missing: run 'bash scripts/build-images.sh ${name}'`);
      images.set(name, img);
    }
  });

  /** The boot of `name` at `size`, run once for all the checks that read it. */
  function run(name: string, size: string): Boot {
    const key = `${name}/${size}`;
    if (!runs.has(key)) runs.set(key, boot(name, size));
    return runs.get(key)!;
  }

  for (const { name, fn } of APPS) {
    describe(name, () => {
      it('defaults to the medium input and profiles an htc-g1', () => {
        const m = images.get(name)!.manifest;
        assert.deepEqual(m.program.argv, [name, 'medium']);
        assert.equal(m.profile, 'htc-g1');
      });

      it(`keeps its heavy work in the global function ${fn}`, () => {
        const r = spawnSync('arm-linux-gnueabihf-nm', [images.get(name)!.elfPath], { encoding: 'utf8' });
        assert.ifError(r.error);
        assert.match(r.stdout, new RegExp(`^[0-9a-f]{8} T ${fn}$`, 'm'));
      });

      for (const size of ['small', 'medium']) {
        it(`${size}: prints what qemu-arm prints, within its instruction budget`, () => {
          const got = run(name, size);
          assert.equal(got.exitStatus, 0, got.stdout.toString());
          assert.deepEqual(got.unimplementedSyscalls, [], 'no unimplemented syscalls');
          const [lo, hi] = BOUNDS[size];
          assert.ok(got.instructions >= lo && got.instructions <= hi, `${got.instructions} instructions, want ${lo}..${hi}`);
          const img = images.get(name)!;
          const cwd = tempDir();
          if (name === 'virusscan') materialize(img, `/sdcard/${size}`, cwd);
          const want = runQemu(img.elfPath, [name, size], img.manifest.program.env, cwd);
          fs.rmSync(cwd, { recursive: true, force: true });
          assert.equal(want.status, 0);
          assert.equal(got.stdout.toString(), want.stdout.toString());
        });
      }
    });
  }

  describe('virusscan findings', () => {
    for (const size of ['small', 'medium']) {
      it(`${size}: reports exactly the planted files, with the signatures planted in them`, () => {
        const sigs = signatures();
        const planted = (images.get('virusscan')!.manifest.rootfs as Entry[]).filter((e) => e.type === 'file' && e.target.startsWith(`/sdcard/${size}/`));
        assert.ok(planted.length >= 2);
        const lines = run('virusscan', size).stdout.toString().trimEnd().split('\n');
        const infected = lines.filter((l) => l.startsWith('infected '));
        assert.equal(infected.length, planted.length);
        for (const line of infected) {
          const m = /^infected (\S+): (.+) \((\d+) matches\)$/.exec(line);
          assert.ok(m, line);
          const file = planted.find((e) => e.target === '/' + m[1]);
          assert.ok(file, `${m[1]} was not planted`);
          const names = m[2].split(' ');
          const expected = sigs.filter((s) => file.content!.includes(s.bytes)).map((s) => s.name);
          assert.deepEqual(names, expected);
        }
        assert.match(lines[lines.length - 1], new RegExp(`^virusscan: signatures 400 .* infected ${planted.length} `));
      });
    }
  });

  it('imagesearch finds the query theme among its best matches', () => {
    const out = run('imagesearch', 'medium').stdout.toString();
    assert.match(out, /same-theme matches 8\/8\n$/);
  });
});
