/**
 * The folder of input files that the real-program suite serves as "/" to clonecloud and uses as
 * the working directory of qemu-arm. Everything is generated from fixed seeds, with fixed times.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Modification time of every generated file: 2021-03-04 05:06:07 UTC. */
export const INPUT_TIME = Date.UTC(2021, 2, 4, 5, 6, 7) / 1000;
/** A file made one day later, so that `find -newer` has something to find. */
export const NEWER_FILE = 'tree/src/new.c';
/**
 * The modelled phone's user (emulator/machine/machine.ts): clonecloud reports host files as owned
 * by it, so the folder is given to it on the host too where that is allowed (running as root).
 */
export const PHONE_UID = 10001;

/** A small deterministic generator (xorshift32), so inputs are identical on every machine. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const WORDS = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'golf',
  'hotel',
  'india',
  'juliet',
  'kilo',
  'lima',
  'mike',
  'november',
  'oscar',
  'papa',
  'quebec',
  'romeo',
  'sierra',
  'tango',
];
const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Baku', 'Riga'];

function textLines(n: number, seed: number): string {
  const r = prng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = 1 + (r() % 6);
    const ws = Array.from({ length: k }, () => WORDS[r() % WORDS.length]);
    if (r() % 4 === 0) ws.push(String(r() % 1000));
    if (r() % 9 === 0) ws[0] = ws[0].toUpperCase();
    lines.push(ws.join(r() % 5 === 0 ? '\t' : ' '));
  }
  return lines.join('\n') + '\n';
}

function people(n: number, seed: number): string {
  const r = prng(seed);
  let s = '';
  for (let i = 0; i < n; i++) {
    s += `${WORDS[r() % WORDS.length]}${i}:${18 + (r() % 60)}:${CITIES[r() % CITIES.length]}:${(r() % 10000) / 100}\n`;
  }
  return s;
}

function numbers(n: number, seed: number): string {
  const r = prng(seed);
  return Array.from({ length: n }, () => String((r() % 2000) - 1000)).join('\n') + '\n';
}

function randomBytes(n: number, seed: number): Buffer {
  const r = prng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

/** Shell scripts that use builtins only (no fork, pipes or command substitution), kept in the repository. */
const SCRIPTS = path.resolve(__dirname, '..', '..', '..', 'spec', 'realprog', 'scripts');

const MARKDOWN = `go-md2man 1 "March 2021" "clonecloud" "Test"
==========================================

# NAME
demo - a page made from Markdown

# SYNOPSIS
**demo** [*OPTIONS*] FILE...

# DESCRIPTION
Converts *emphasis*, **strong** text and \`code\` into roff.

* first item
* second item

# EXAMPLE
    demo -v input.txt
`;

/** The files of the tree that `find`, `du` and `ls` walk (path → size in bytes). */
const TREE: Record<string, number> = {
  'tree/README': 120,
  'tree/src/main.c': 2500,
  'tree/src/util.c': 900,
  'tree/src/util.h': 300,
  'tree/src/new.c': 640,
  'tree/src/lib/list.c': 4097,
  'tree/src/lib/map.c': 0,
  'tree/docs/guide.txt': 10000,
  'tree/docs/img/logo.png': 777,
  'tree/build/.keep': 0,
  'tree/empty-dir/.hidden': 5,
};

/** busybox's xz applet only decompresses, so the host compresses (Python's lzma: xz format). */
function writeXz(root: string, input: string, output: string): void {
  const py = 'import lzma, sys; sys.stdout.buffer.write(lzma.compress(open(sys.argv[1], "rb").read()))';
  const r = spawnSync('python3', ['-c', py, input], { cwd: root, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 could not make ${output}: ${r.error?.message ?? r.stderr.toString()}`);
  write(root, output, r.stdout);
}

/** A tar archive with fixed owner and times, made on the host (Python's tarfile, ustar format). */
function writeTar(root: string, inputs: string[], output: string): void {
  const py = [
    'import sys, tarfile',
    'with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.USTAR_FORMAT) as t:',
    '  for f in sys.argv[2:]:',
    '    i = t.gettarinfo(f); i.mtime = int(sys.argv[1]); i.uid = i.gid = 10001; i.uname = i.gname = "phone"',
    '    t.addfile(i, open(f, "rb"))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, String(INPUT_TIME), ...inputs], { cwd: root, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 could not make ${output}: ${r.error?.message ?? r.stderr.toString()}`);
  write(root, output, r.stdout);
}

function write(root: string, rel: string, data: string | Buffer): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

/** Visit every path below `p` and then `p` (deepest first); names are bytes, as on Linux. */
function walk(p: Buffer, visit: (p: Buffer) => void): void {
  if (fs.lstatSync(p).isDirectory()) {
    for (const e of fs.readdirSync(p, { encoding: 'buffer' })) walk(Buffer.concat([p, Buffer.from('/'), e]), visit);
  }
  visit(p);
}

/** Fill `root` with the suite's inputs; `busybox` is copied in as `bb` (and its start as `b200k`). */
export function layOutInputs(root: string, busybox: string): void {
  const bb = fs.readFileSync(busybox);
  const text = textLines(300, 7);
  write(root, 'text.txt', text);
  // Sorted with repeats, for uniq (the suite has no pipes to sort first).
  write(root, 'words.txt', text.split(/\s+/).filter(Boolean).sort().join('\n') + '\n');
  write(root, 'nums.txt', numbers(120, 11));
  write(root, 'people.txt', people(40, 13));
  write(root, 'left.txt', [...new Set(textLines(40, 17).split(/\s+/).filter(Boolean))].sort().join('\n') + '\n');
  write(root, 'right.txt', [...new Set(textLines(40, 19).split(/\s+/).filter(Boolean))].sort().join('\n') + '\n');
  write(root, 'bin.dat', randomBytes(4096, 23));
  write(root, 'bb', bb);
  write(root, 'b200k', bb.subarray(0, 200_000));
  write(root, 'z2000', Buffer.alloc(2000));
  write(root, 'empty.txt', '');
  write(root, 'doc.md', MARKDOWN);
  fs.cpSync(SCRIPTS, path.join(root, 'scripts'), { recursive: true });
  const r = prng(29);
  for (const [rel, size] of Object.entries(TREE)) write(root, rel, Buffer.from(Array.from({ length: size }, () => 97 + (r() % 26))));
  // Linux names are bytes: one that is not UTF-8 (latin-1 "café"), beside a plain one.
  write(root, 'names/plain', 'plain\n');
  fs.writeFileSync(Buffer.concat([Buffer.from(path.join(root, 'names', 'caf')), Buffer.from([0xe9])]), 'latin-1\n');
  fs.mkdirSync(path.join(root, 'rt'));
  // Shells make temporary files in /tmp: qemu-arm finds the host's, clonecloud the folder's.
  fs.mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  writeXz(root, 'text.txt', 'rt/text.txt.xz');
  writeTar(root, ['text.txt', 'bin.dat'], 'rt/inputs.tar');
  // For sha256sum -c: two right sums and a wrong one.
  const sum = (f: string): string =>
    crypto
      .createHash('sha256')
      .update(fs.readFileSync(path.join(root, f)))
      .digest('hex');
  write(root, 'sums.sha256', `${sum('text.txt')}  text.txt\n${sum('bin.dat')}  bin.dat\n${sum('empty.txt')}  nums.txt\n`);
  resetScratch(root);
  settle(root, root);
}

/** Fixed times and the phone user's ownership for everything below `p`. */
function settle(root: string, p: string): void {
  // Deepest first, since writing into a folder changes its time.
  const newer = path.join(root, NEWER_FILE);
  walk(Buffer.from(p), (q) => {
    const t = q.toString() === newer ? INPUT_TIME + 86400 : INPUT_TIME;
    fs.utimesSync(q, t, t);
  });
  // Only root may give files away; elsewhere the listing cases that print owners say so.
  if (process.getuid?.() === 0) walk(Buffer.from(p), (q) => fs.chownSync(q, PHONE_UID, PHONE_UID));
}

/**
 * Put back the folder `scratch/` that cases writing files work in: qemu-arm writes into the host
 * folder, clonecloud into its own writable layer, so each side starts from this same content.
 */
export function resetScratch(root: string): void {
  const dir = path.join(root, 'scratch');
  fs.rmSync(dir, { recursive: true, force: true });
  write(root, 'scratch/f', 'scratch file\n');
  write(root, 'scratch/d/inner', 'inner\n');
  settle(root, dir);
}
