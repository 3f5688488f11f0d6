/**
 * Real programs against the independent truth: Debian's own armhf static busybox, bash, mksh and
 * a Go program print the same bytes and exit the same way under clonecloud and under qemu-arm,
 * over the same generated folder (spec/realprog/cases.ts lists the command lines and what is left
 * out by design). Both sides get exactly the same environment, argv[0] and working directory.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { debianPackages, debianProgram, DebianProgram } from '../support/debian';
import { runBoth } from '../support/differential';
import { layOutInputs, resetScratch } from '../support/realprog-inputs';
import { tempDir } from '../support/toolchain';
import { RealCase, realCases } from './cases';

/**
 * qemu-arm passes the host's environment unless told otherwise: both sides get exactly this. TZ is
 * a POSIX rule, not a zone name, so that glibc reads no zoneinfo file (qemu-arm would read the
 * host's /usr/share/zoneinfo, clonecloud the folder's, which has none).
 */
const ENV: Record<string, string> = { HOME: '/', PATH: '/bin:/usr/bin', LANG: 'C', TZ: 'UTC0' };
const ARGV0: Record<DebianProgram, string> = {
  busybox: 'busybox',
  bash: 'bash',
  'mksh-klibc': 'mksh',
  'mksh-diet': 'mksh',
  'mksh-musl': 'mksh',
  'go-md2man': 'go-md2man',
};

function title(c: RealCase): string {
  const line = [ARGV0[c.prog], ...c.args].map((a) => (/^[\w./:,=+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const shown = line.length > 110 ? `${line.slice(0, 107)}...` : line;
  const libc = { 'mksh-diet': '(dietlibc) ', 'mksh-musl': '(musl) ' } as Partial<Record<DebianProgram, string>>;
  const input = c.stdinFile ? ` < ${c.stdinFile}` : c.stdin === undefined ? '' : ' < stdin';
  return `${libc[c.prog] ?? ''}${shown}${input}`;
}

describe('Debian armhf static programs match qemu-arm byte for byte', function () {
  this.timeout(120_000);
  // Only root can give the folder to the modelled phone user; cases.ts says what that changes.
  const cases = realCases(process.getuid?.() === 0);
  const tally = { compared: 0, matched: 0, known: [] as string[] };
  // Unimplemented syscalls met on the way (they return ENOSYS; most programs carry on).
  const warned = new Set<string>();
  let root = '';

  before(function () {
    const versions = debianPackages()
      .map((p) => `${p.package} ${p.version}`)
      .join(', ');
    console.log(`      Debian armhf: ${versions}`);
    root = tempDir('cc-realprog-');
    layOutInputs(root, debianProgram('busybox'));
  });

  after(function () {
    console.log(
      `      ${tally.compared} real-program runs compared with qemu-arm: ${tally.matched} identical, ` +
        `${tally.known.length} differ as expected (expected-different.ts)`,
    );
    for (const k of tally.known) console.log(`        ${k}`);
    if (warned.size) console.log(`      clonecloud warned: ${[...warned].sort().join('; ')}`);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it(`has at least 60 distinct command lines (${cases.length})`, function () {
    assert.ok(cases.length >= 60);
    const key = (c: RealCase): string => JSON.stringify([c.prog, c.args, c.stdin, c.stdinFile, c.env]);
    assert.equal(new Set(cases.map(key)).size, cases.length, 'every command line once');
  });

  for (const c of cases) {
    it(title(c), function () {
      const o = runBoth({
        elf: debianProgram(c.prog),
        argv: [ARGV0[c.prog], ...c.args],
        env: { ...ENV, ...c.env },
        root,
        stdin: c.stdinFile ? fs.readFileSync(path.join(root, c.stdinFile)) : c.stdin === undefined ? undefined : Buffer.from(c.stdin),
        prepare: c.writes ? () => resetScratch(root) : undefined,
        effects: c.writes ? 'scratch' : undefined,
      });
      tally.compared++;
      for (const w of o.clone.warnings) warned.add(w.replace(/: returning ENOSYS$/, ''));
      if (c.saveAs) fs.writeFileSync(path.join(root, c.saveAs), o.clone.stdout);
      if (c.differs) {
        assert.ok(o.difference, `now identical to qemu-arm: drop its known difference (${c.differs.reason})`);
        const clone = [o.clone.stdout, o.clone.stderr].map((b) => b.toString('latin1'));
        const evidence = [o.difference, o.clone.fault?.message ?? '', ...o.clone.warnings, ...clone].join('\n');
        assert.match(evidence, c.differs.sign, `differs, but not (only) because of ${c.differs.reason}:\n${o.difference}`);
        tally.known.push(`${title(c)}: ${c.differs.reason}`);
        return;
      }
      assert.ok(!o.difference, o.difference);
      if (c.stdoutEquals) {
        const original = fs.readFileSync(path.join(root, c.stdoutEquals));
        assert.ok(o.clone.stdout.equals(original), `round trip: output is not ${c.stdoutEquals} byte for byte`);
      }
      tally.matched++;
    });
  }
});
