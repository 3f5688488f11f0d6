/**
 * `clonecloud rootfs add | list` against the real apt and the system's Debian mirror: an uncached
 * package is downloaded and unpacked into a usable root, a cached one is not downloaded again, a
 * name the index lacks is one clear line, two commands at once on one root and cache leave it
 * whole, and the test root that setup builds runs a program under qemu-arm -L. One package cache
 * serves the whole file (one index download).
 */
import { strict as assert } from 'assert';
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../support/toolchain';
import { TEST_ROOTFS_PACKAGES, testRootfs } from '../support/test-rootfs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function cliAsync(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Added {
  root: string;
  added: { package: string; version: string; deb: string; sha256: string; requested: boolean; downloaded: boolean }[];
  alreadyPresent: string[];
  total: number;
}

// hello is small (52 kB) and not in the test root; with libc6 its closure is 4 packages, 2.3 MB.
const PACKAGE = 'hello';

describe('cli: rootfs add and list (Debian armhf packages)', function () {
  this.timeout(180_000);
  let work = '';
  let cache = '';

  before(() => {
    work = tempDir('cc-rootfs-');
    cache = path.join(work, 'cache');
  });
  after(() => fs.rmSync(work, { recursive: true, force: true }));

  const debMtimes = () =>
    Object.fromEntries(
      fs
        .readdirSync(cache)
        .filter((f) => f.endsWith('.deb'))
        .map((f) => [f, fs.statSync(path.join(cache, f)).mtimeMs]),
    );

  it('downloads an uncached package with its dependencies and unpacks a root qemu-arm runs', () => {
    const dir = path.join(work, 'a');
    const r = cli(['rootfs', 'add', dir, PACKAGE, '--cache', cache, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Added;
    const names = out.added.map((p) => p.package);
    assert.equal(names[0], PACKAGE);
    assert.ok(names.includes('libc6'), names.join(' '));
    assert.ok(
      out.added.every((p) => p.downloaded),
      'a new cache downloads everything',
    );
    assert.deepEqual(
      out.added.map((p) => p.requested),
      names.map((n) => n === PACKAGE),
    );
    assert.equal(out.total, names.length);
    assert.match(r.stderr, /^rootfs: refreshing the armhf package index/m);
    assert.match(r.stderr, /^rootfs: unpacking hello_/m);
    for (const p of out.added) assert.ok(fs.existsSync(path.join(cache, p.deb)), p.deb);
    const q = spawnSync('qemu-arm', ['-L', dir, path.join(dir, 'usr/bin/hello')], { encoding: 'utf8' });
    assert.equal(q.stdout, 'Hello, world!\n', q.stderr);
  });

  it('does not download a cached package again, and adds nothing to a root that holds it', () => {
    const before = debMtimes();
    const dir = path.join(work, 'b');
    const r = cli(['rootfs', 'add', dir, PACKAGE, '--cache', cache, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Added;
    assert.ok(out.added.length >= 2);
    assert.ok(
      out.added.every((p) => !p.downloaded),
      'every .deb comes from the cache',
    );
    assert.doesNotMatch(r.stderr, /refreshing/, 'the index is less than a day old');
    assert.match(r.stderr, /all cached/);
    assert.deepEqual(debMtimes(), before);
    assert.ok(fs.existsSync(path.join(dir, 'usr/bin/hello')));

    const again = cli(['rootfs', 'add', dir, PACKAGE, '--cache', cache, '--json']);
    assert.equal(again.status, 0, again.stderr);
    const second = JSON.parse(again.stdout) as Added;
    assert.deepEqual([second.added, second.alreadyPresent, second.total], [[], [PACKAGE], out.total]);
    assert.equal(again.stderr, '', 'a root that holds the package needs neither apt nor progress lines');
    assert.deepEqual(debMtimes(), before);
  });

  it('lists what a root holds, as a table and as the manifest in JSON', () => {
    const dir = path.join(work, 'a');
    const r = cli(['rootfs', 'list', dir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const m = JSON.parse(r.stdout) as { format: number; architecture: string; packages: { package: string; requested: boolean; sha256: string }[] };
    assert.equal(m.format, 1);
    assert.equal(m.architecture, 'armhf');
    assert.deepEqual(
      m.packages.filter((p) => p.requested).map((p) => p.package),
      [PACKAGE],
    );
    const hello = fs.readFileSync(
      path.join(
        cache,
        fs.readdirSync(cache).find((f) => f.startsWith('hello_'))!,
      ),
    );
    const sha = createHash('sha256').update(hello).digest('hex');
    assert.equal(m.packages.find((p) => p.package === PACKAGE)!.sha256, sha);
    for (const c of ['add', 'list']) assert.match(cli(['rootfs', c, '--help']).stdout, new RegExp(`^Usage: clonecloud rootfs ${c} `));
    const text = cli(['rootfs', 'list', dir]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /^hello +2\.10\S* +armhf +requested$/m);
    assert.match(text.stdout, /^libc6 +\S+ +armhf +dependency$/m);
  });

  it('names a package the index does not have, in one line, with a non-zero exit', () => {
    const dir = path.join(work, 'c');
    const r = cli(['rootfs', 'add', dir, 'hello', 'no-such-package-xyz', '--cache', cache, '--quiet']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'clonecloud: no armhf package named no-such-package-xyz in the Debian index\n');
    assert.equal(fs.existsSync(path.join(dir, '.clonecloud-rootfs.json')), false, 'nothing is recorded');
    const bad = cli(['rootfs', 'add', dir, '--cache', cache, 'Not/A/Name']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^clonecloud: "Not\/A\/Name" is not a Debian package name/);
    const list = cli(['rootfs', 'list', path.join(work, 'nowhere')]);
    assert.equal(list.status, 2);
    assert.match(list.stderr, /^clonecloud: \S+\.clonecloud-rootfs\.json is missing: \S+ was not made by clonecloud rootfs add\n$/);
  });

  it('says which tool is missing when apt is not on the PATH', () => {
    const bare = path.join(work, 'no-tools');
    fs.mkdirSync(bare);
    const r = spawnSync(process.execPath, [BIN, 'rootfs', 'add', path.join(work, 'e'), PACKAGE, '--cache', cache], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: bare },
    });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, "clonecloud: apt-get is not on the PATH: rootfs add needs apt-get, apt-cache and dpkg-deb (Debian's apt and dpkg packages)\n");
  });

  it('refuses a non-empty folder it did not make', () => {
    const dir = path.join(work, 'mine');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'x');
    const r = cli(['rootfs', 'add', dir, PACKAGE, '--cache', cache]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /is not empty and has no \.clonecloud-rootfs\.json/);
  });

  it('two adds at once on one root and one cache wait for each other and leave both whole', async () => {
    const dir = path.join(work, 'd');
    const both = await Promise.all([
      cliAsync(['rootfs', 'add', dir, PACKAGE, '--cache', cache, '--json']),
      cliAsync(['rootfs', 'add', dir, PACKAGE, 'libsigsegv2', '--cache', cache, '--json']),
    ]);
    for (const r of both) assert.equal(r.status, 0, r.stderr);
    const added = both.flatMap((r) => (JSON.parse(r.stdout) as Added).added.map((p) => p.package));
    assert.equal(new Set(added).size, added.length, 'no package is unpacked twice');
    const list = JSON.parse(cli(['rootfs', 'list', dir, '--json']).stdout) as { packages: { package: string }[] };
    assert.deepEqual(list.packages.map((p) => p.package).sort(), [...added].sort());
    assert.ok(added.includes('libsigsegv2') && added.includes(PACKAGE));
    assert.deepEqual(
      fs.readdirSync(cache).filter((f) => f.startsWith('.download-')),
      [],
      'no temporary download folder is left',
    );
  });

  it('says the disk is full when unpacking runs out of space', function () {
    const mnt = path.join(work, 'small');
    fs.mkdirSync(mnt);
    // A file system of 1 MiB (needs the right to mount); libc6 alone unpacks to 10 MB.
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      process.stderr.write(`      (no small file system to fill here: mount said ${JSON.stringify((m.stderr || String(m.error)).trim())})\n`);
      this.skip();
    }
    try {
      const r = cli(['rootfs', 'add', path.join(mnt, 'root'), PACKAGE, '--cache', cache, '--quiet']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /^clonecloud: the disk is full: unpacking \S+ into \S+ stopped part way; free some space and run the command again\n$/);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('the test root set-up builds holds every package the suite needs, and qemu-arm -L runs its lua5.4', () => {
    const dir = testRootfs();
    const m = JSON.parse(cli(['rootfs', 'list', dir, '--json']).stdout) as { packages: { package: string }[] };
    for (const p of [...TEST_ROOTFS_PACKAGES, 'libc6'])
      assert.ok(
        m.packages.some((q) => q.package === p),
        p,
      );
    const q = spawnSync('qemu-arm', ['-L', dir, path.join(dir, 'usr/bin/lua5.4'), '-e', 'print(1 + 1, _VERSION)'], { encoding: 'utf8' });
    assert.equal(q.stdout, '2\tLua 5.4\n', q.stderr);
  });
});
