/**
 * Dynamically linked Debian programs (lua5.4, python3.11, perl, gawk, sqlite3, coreutils, and the
 * dynamic loader itself) print the same bytes and exit the same way under clonecloud and under
 * qemu-arm -L over the same root (spec/support/dynamic-root.ts), in the same work folder.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DynamicRun, runDynamicBoth, testRoot } from '../support/dynamic-root';
import { tempDir } from '../support/toolchain';

const SCRIPTS = path.resolve(__dirname, '..', '..', '..', 'spec', 'realprog', 'dynamic');
/** TZ as a POSIX rule: no zoneinfo file is read on either side (see debian.spec.ts). */
const ENV: Record<string, string> = { HOME: '/', PATH: '/usr/bin:/bin', LANG: 'C', TZ: 'UTC0' };

/** One command line of a program of the root. */
interface DynamicCase {
  program: string;
  args: string[];
  stdin?: string;
  /** What the run shows, beyond its name. */
  title?: string;
  /** Both outputs pass through this before they are compared (addresses that differ by design). */
  normalise?: (out: string) => string;
}

/** A CSV of sales, the input of the text-processing cases. */
function salesCsv(): string {
  const cities = ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Doha'];
  const lines: string[] = [];
  let s = 7;
  for (let i = 0; i < 3000; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    lines.push(`${cities[s % 5]},item${s % 17},${s % 40},${((s >> 8) % 10000) / 100}`);
  }
  return lines.join('\n') + '\nbad,line\n';
}

/** Load addresses differ by design (each side places libraries its own way); the names must not. */
const withoutAddresses = (out: string) => out.replace(/\(0x[0-9a-f]+\)/g, '(ADDR)').replace(/=> \S*\/lib\/ld-linux-armhf\.so\.3/, '=> LOADER');

const CASES: DynamicCase[] = [
  { program: '/usr/bin/lua5.4', args: ['-e', 'print(1 + 1, _VERSION, #arg, math.maxinteger)'] },
  { program: '/usr/bin/lua5.4', args: ['bench.lua', '20000'], title: 'the Lua benchmark' },
  { program: '/usr/bin/lua5.4', args: ['-'], stdin: 'local t = {} for l in io.lines() do t[#t+1] = l end print(#t)\n' },
  { program: '/usr/bin/python3.11', args: ['-c', 'import sys; print(sys.version_info[:2], sys.byteorder, sys.maxsize)'] },
  { program: '/usr/bin/python3.11', args: ['bench.py', '3000'], title: 'the Python benchmark (json, hashlib, re)' },
  { program: '/usr/bin/perl', args: ['report.pl'], stdin: 'csv' },
  { program: '/usr/bin/gawk', args: ['-f', 'report.awk', 'sales.csv'] },
  { program: '/usr/bin/sqlite3', args: [':memory:'], stdin: 'sql' },
  { program: '/usr/bin/sort', args: ['-t,', '-k3,3n', '-k1,1', 'sales.csv'] },
  { program: '/usr/bin/sha256sum', args: ['sales.csv', 'bench.lua', 'bench.py'] },
  { program: '/bin/ls', args: ['-1', '--color=never', '.'] },
  { program: '/usr/bin/wc', args: ['sales.csv'] },
  { program: '/lib/ld-linux-armhf.so.3', args: ['--list', '/usr/bin/python3.11'], title: 'ld.so --list', normalise: withoutAddresses },
];

function label(c: DynamicCase): string {
  const line = [path.basename(c.program), ...c.args].map((a) => (/^[\w./:,=+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  return c.title ? `${c.title}: ${line}` : line;
}

describe('dynamically linked Debian programs match qemu-arm -L byte for byte', function () {
  this.timeout(300_000);
  let root = '';
  let work = '';
  const times: string[] = [];

  before(function () {
    root = testRoot();
    work = tempDir('cc-dynamic-');
    for (const f of fs.readdirSync(SCRIPTS)) fs.copyFileSync(path.join(SCRIPTS, f), path.join(work, f));
    fs.writeFileSync(path.join(work, 'sales.csv'), salesCsv());
  });

  after(function () {
    if (times.length) console.log(`      host time, clonecloud / qemu-arm: ${times.join('; ')}`);
  });

  for (const c of CASES) {
    it(label(c), function () {
      const stdin =
        c.stdin === 'csv' ? fs.readFileSync(path.join(work, 'sales.csv')) : c.stdin === 'sql' ? fs.readFileSync(path.join(work, 'queries.sql')) : c.stdin;
      const run: DynamicRun = { program: c.program, args: c.args, work, env: ENV, stdin: stdin === undefined ? undefined : Buffer.from(stdin) };
      const o = runDynamicBoth(root, run);
      if (c.normalise) {
        const n = (b: Buffer) => Buffer.from(c.normalise!(b.toString('latin1')), 'latin1');
        assert.equal(n(o.clone.stdout).toString('latin1'), n(o.qemu.stdout).toString('latin1'));
        assert.equal(o.clone.status, o.qemu.status);
      } else {
        assert.equal(o.difference, undefined, o.difference);
      }
      assert.ok(o.qemu.stdout.length > 0, 'the program printed something');
      if (c.title?.includes('benchmark'))
        times.push(`${path.basename(c.program)} ${(o.clone.ms / o.qemu.ms).toFixed(2)}x (${o.clone.ms.toFixed(0)} / ${o.qemu.ms.toFixed(0)} ms)`);
    });
  }
});
