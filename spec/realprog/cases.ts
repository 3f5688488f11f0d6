/**
 * The command lines of the real-program suite: Debian's own armhf static programs on the
 * generated input folder (spec/support/realprog-inputs.ts). Paths are relative, because qemu-arm
 * resolves absolute paths on the host while clonecloud resolves them in the folder.
 *
 * Left out on purpose, because the modelled phone differs from the host by design:
 * - anything printing the clock's "now" (`date` without `-d`, `awk` `systime()`, `srand()`),
 *   the host name, pids or the user's name (`id`, `whoami`, `hostname`, `ps`);
 * - listings whose order is the host folder's `readdir` order (`find` with matches in more than
 *   one folder, `du -a`, `grep -r`): clonecloud lists every folder sorted by name so that a run is
 *   identical on every machine (emulator/vfs/overlay.ts), where Linux uses the host file system's
 *   order (ext4: hash order). `find` cases are chosen so that their output does not depend on it;
 *   `ls` sorts for itself;
 * - sizes and block counts of folders (`ls -l` or `stat` of a folder, `du` of a tree): they are
 *   the host file system's (ext4 4096 bytes a folder, tmpfs or btrfs others), where clonecloud
 *   reports 4096 bytes for every folder;
 * - commands writing files outside scratch/: qemu-arm would write into the shared folder and
 *   change the inputs of later cases, so outputs go to stdout (the round trips save clonecloud's
 *   into rt/). Cases that write work in scratch/, put back before each side runs and compared
 *   afterwards (spec/support/tree-digest.ts: kinds, permissions, sizes, contents, link targets).
 */
import { DebianProgram } from '../support/debian';
import { EXPECTED_DIFFERENT, KnownDifference } from './expected-different';

/** One command line, run under both emulators. */
export interface RealCase {
  prog: DebianProgram;
  args: string[];
  stdin?: string;
  /** Standard input from this file of the folder (read when the case runs, so it may be made by an earlier case). */
  stdinFile?: string;
  /** Extra environment for this case only. */
  env?: Record<string, string>;
  /** Expected to differ for this reason; the test fails once it matches (so the list cannot rot). */
  differs?: KnownDifference;
  /** Writes into scratch/, which is put back before each side runs and compared afterwards. */
  writes?: boolean;
  /** Prints owners or changes them: matches only when the folder belongs to the phone user on the host too. */
  owners?: boolean;
  /** Save clonecloud's stdout under this relative path, as the input of a later case. */
  saveAs?: string;
  /** clonecloud's stdout must also equal this input file (the end of a round trip). */
  stdoutEquals?: string;
}

const X = EXPECTED_DIFFERENT;

const bb = (...args: string[]): RealCase => ({ prog: 'busybox', args });
const bbIn = (stdin: string, ...args: string[]): RealCase => ({ prog: 'busybox', args, stdin });
const known = (c: RealCase, differs: KnownDifference): RealCase => ({ ...c, differs });

const SUMS = ['text.txt', 'bin.dat', 'bb', 'z2000', 'empty.txt'];

/** Text and binary applets, checksums, sorting, comparing, searching. */
const APPLETS: RealCase[] = [
  bb('cat', '-n', 'text.txt'),
  bb('head', '-n', '7', 'text.txt', 'people.txt'),
  bb('head', '-c', '100', 'bin.dat'),
  bb('tail', '-n', '5', 'text.txt'),
  bb('tail', '-c', '37', 'bb'),
  bb('wc', 'text.txt', 'people.txt', 'bb'),
  bb('cut', '-d:', '-f1,3', 'people.txt'),
  bb('cut', '-c', '2-8,12-', 'text.txt'),
  bbIn('HELLO, tr: world\n', 'tr', 'a-zA-Z', 'n-za-mN-ZA-M'),
  bb('od', '-A', 'x', '-t', 'x1', '-N', '256', 'bin.dat'),
  bb('od', '-c', '-N', '96', 'b200k'),
  bb('hexdump', '-C', '-n', '512', 'bb'),
  bb('md5sum', ...SUMS),
  bb('sha1sum', ...SUMS),
  bb('sha256sum', ...SUMS),
  bb('sha512sum', ...SUMS),
  bb('sha3sum', 'bin.dat', 'text.txt'),
  bb('crc32', 'bb'),
  bb('sha256sum', '-c', 'sums.sha256'),
  bb('sort', 'text.txt'),
  bb('sort', '-n', 'nums.txt'),
  bb('sort', '-rn', 'nums.txt'),
  bb('sort', '-u', 'text.txt'),
  bb('sort', '-t:', '-k3,3', '-k2,2n', 'people.txt'),
  bb('sort', '-r', '-k2', 'text.txt'),
  bb('uniq', '-c', 'words.txt'),
  bb('uniq', '-d', 'words.txt'),
  bb('uniq', '-u', 'words.txt'),
  // This busybox has no comm applet; sort -m merges sorted files.
  bb('sort', '-m', 'left.txt', 'right.txt'),
  bb('diff', 'left.txt', 'right.txt'),
  bb('diff', '-u', 'left.txt', 'right.txt'),
  bb('cmp', 'left.txt', 'right.txt'),
  bb('cmp', '-l', 'bin.dat', 'b200k'),
  bb('grep', '-n', 'al[a-z]*a', 'text.txt'),
  bb('grep', '-c', '-i', 'echo', 'text.txt', 'people.txt'),
  bb('egrep', '-o', '[0-9]{2,}', 'text.txt'),
  bb('grep', '-v', '-E', '^(alpha|bravo|charlie)', 'text.txt'),
  bb('grep', '-w', '-e', 'tango', '-e', 'lima', 'text.txt'),
  bb('grep', '-q', 'zulu', 'text.txt'),
  { ...bb('base64', 'bin.dat'), saveAs: 'rt/bin.b64' },
  { ...bb('base64', '-d', 'rt/bin.b64'), stdoutEquals: 'bin.dat' },
  bbIn('aGVsbG8sIGJhc2U2NCB3b3JsZAo=\n', 'base64', '-d'),
  bb('dd', 'if=b200k', 'bs=512', 'skip=7', 'count=3', 'status=none'),
  bb('strings', '-n', '12', 'b200k'),
  bb('xxd', '-l', '128', '-s', '4096', 'bb'),
  { ...bb('xxd', '-p', 'bin.dat'), saveAs: 'rt/bin.hex' },
  { ...bb('xxd', '-r', '-p', 'rt/bin.hex'), stdoutEquals: 'bin.dat' },
  bb('od', '-A', 'n', '-t', 'f8', '-t', 'd4', '-N', '64', 'bin.dat'),
  bb('uuencode', '-m', 'bin.dat', 'payload'),
  bb('env'),
  bb('uname', '-s', '-m', '-o'),
  bb('od', '-A', 'd', '-t', 'x1', '-N', '16', '/dev/zero'),
  bb('wc', '-c', '/dev/null', 'empty.txt'),
];

/** sed, awk and expr programs; seq, factor, printf, test and friends. */
const PROGRAMS: RealCase[] = [
  bb('sed', '-n', '/^[a-z]*o /{s/o/0/g;p}', 'text.txt'),
  bb('sed', '-e', 's/\\([a-z]*\\) \\([a-z]*\\)/\\2 \\1/', '-e', '3,9d', '-e', '$a\\the end', 'text.txt'),
  bb('sed', '-E', 'y/abc/xyz/;s/([0-9]+)/<\\1>/g', 'people.txt'),
  bb('awk', '-F:', '{ n++; s += $2; if ($4 > m) m = $4 } END { printf "%d people, mean age %.3f, top %.2f\\n", n, s / n, m }', 'people.txt'),
  bb('awk', '-F:', '{ c[$3]++; a[$3] += $2 } END { for (k in c) printf "%s %d %.1f\\n", k, c[k], a[k] / c[k] }', 'people.txt'),
  bb('awk', '{ for (i = 1; i <= NF; i++) w[tolower($i)]++ } END { print length(w), w["alpha"], w["tango"] }', 'text.txt'),
  bb(
    'awk',
    'BEGIN { s = "Hello, awk world"; print toupper(s), index(s, "awk"), substr(s, 8, 3), length(s); n = split("a:b:c:d", p, ":"); print n, p[2] p[4]; t = s; gsub(/o/, "0", t); print t; print sprintf("%08.3f|%-6s|%x", 3.14159, "ab", 255) }',
  ),
  // This busybox is built without awk's math functions (sqrt, exp, ^ ...): plain arithmetic only.
  bb(
    'awk',
    'BEGIN { for (i = 1; i <= 10; i++) { f = f * i + (i == 1); p = p ? p * 2 : 2; printf "%d %.6g %.4f %d\\n", i, f, i / 7, p } print int(-3.7), 7 % 3, 1e300 * 10, -7 / 2 }',
  ),
  bb('awk', 'NR % 50 == 1 { print NR ": " $0 } END { print NR " lines" }', 'text.txt'),
  // Arbitrary precision and floating point (VFP) arithmetic.
  bbIn('scale=60; 4*a(1); e(1); sqrt(2); 2^100 % 97\n', 'bc', '-l'),
  bb('dc', '-e', '2 256 ^ p 20 k 1 7 / p'),
  bb('awk', 'BEGIN { for (i = 1; i <= 8; i++) printf "%.17g %.17g %e %a\\n", i / 10, 1 / (i * 3), i * 1.1e-300, i / 10 }'),
  bb('cal', '9', '1752'),
  bb('expr', '12', '*', '34', '+', '5'),
  bb('expr', 'substr', 'clonecloud', '6', '5'),
  bb('expr', 'abc123def', ':', '[a-z]*\\([0-9]*\\)'),
  bb('seq', '-s', ',', '-w', '5', '3', '40'),
  bb('seq', '1.5', '0.25', '3'),
  bb('factor', '1', '97', '360', '65537', '4294967291', '600851475143'),
  bb('basename', '/usr/lib/klibc/bin/mksh'),
  bb('dirname', '/usr/lib/klibc/bin/mksh'),
  bb('printf', '%s|%5d|%-5s|%x|%o|%c|%.3f|%e\\n', 'word', '42', 'ab', '255', '8', 'xyz', '2.5', '1234.5'),
  bb('echo', '-e', 'tab\\there\\nnew line \\x41\\101'),
  bb('test', '12', '-lt', '9'),
  bb('[', '-f', 'text.txt', '-a', '-d', 'tree', '-a', '!', '-s', 'empty.txt', ']'),
  bb('tac', 'left.txt'),
  bb('nl', '-ba', 'left.txt'),
  bb('fold', '-w', '23', 'text.txt'),
  bb('rev', 'left.txt'),
  bb('paste', '-d', ',:', 'left.txt', 'right.txt', 'left.txt'),
  bb('expand', '-t', '5', 'text.txt'),
  bb('sed', '-n', '1!G;h;$p', 'left.txt'),
  bb('sed', '-n', '/^[A-Z]/,/^[0-9]/{=;p}', 'right.txt'),
  bb('awk', 'BEGIN { while ((getline l < "left.txt") > 0) { n++; if (match(l, /[aeiou][a-z]/)) m = m substr(l, RSTART, RLENGTH) } print n, m }'),
  bb('tar', '-tvf', 'rt/inputs.tar'),
];

/** Folders and file metadata (order-independent: see the note above). */
const FILES: RealCase[] = [
  bb('find', 'tree', '-name', '*.h'),
  bb('find', 'tree', '-type', 'f', '-size', '+3k', '-name', 'l*'),
  bb('find', 'tree', '-type', 'd', '-name', 'img'),
  bb('find', 'tree', '-type', 'f', '-empty', '-path', '*/build/*'),
  bb('find', 'tree', '(', '-name', '*.png', '-o', '-name', '*.md', ')', '!', '-empty'),
  bb('find', 'tree', '-mindepth', '3', '-iname', 'LIST.C', '-size', '-5k'),
  // Every host file has the same time in clonecloud, so none is newer than another.
  bb('find', 'tree', '-newer', 'tree/src/main.c'),
  bb('ls', '-1aF', 'tree', 'tree/src'),
  { ...bb('ls', '-ln', '--full-time', 'tree/docs/guide.txt', 'tree/src/util.c'), owners: true },
  bb('du', '-k', 'bb', 'text.txt'),
  bb('stat', '-c', '%n %s %b %a %F', 'text.txt', 'tree/src/lib/map.c'),
  bb('stat', '-c', '%n %a %F', 'tree', 'tree/docs/img'),
  bb('stat', '-c', '%n %Y %y', 'text.txt', 'tree/src/new.c'),
  bb('date', '-u', '-r', 'text.txt'),
  bb('ls', '-1', 'names'),
  bb('find', 'names', '-name', 'caf*'),
];

/** Dates from fixed inputs only (the modelled clock differs from the host's by design). */
const DATES: RealCase[] = [
  bb('date', '-d', '2020-02-29 12:34:56', '+%s %A %j %U %Y-%m-%d %H:%M:%S %Z'),
  bb('date', '-d', '@1700000000', '+%c'),
  // A POSIX TZ rule needs no zoneinfo file (qemu-arm would read the host's, clonecloud the folder's).
  { ...bb('date', '-d', '@1625400000', '+%F %T %Z %z'), env: { TZ: 'EST5EDT,M3.2.0,M11.1.0' } },
  bb('date', '-D', '%d.%m.%Y', '-d', '31.12.2024', '+%j %a %b'),
  bb(
    'awk',
    'BEGIN { t = mktime("2024 02 28 12 00 00"); for (d = 0; d < 3; d++) print strftime("%Y-%m-%d %A", t + d * 86400); print int((mktime("2025 01 01 00 00 00") - t) / 86400) " days" }',
  ),
];

/** Compressing the same input on both sides, then decompressing clonecloud's output. */
function roundTrips(): RealCase[] {
  const tools = [
    { c: 'gzip', d: 'gunzip', ext: 'gz' },
    { c: 'bzip2', d: 'bunzip2', ext: 'bz2' },
    { c: 'lzop', d: 'lzop', ext: 'lzo' },
  ];
  const out: RealCase[] = [];
  for (const input of ['bb', 'z2000', 'text.txt']) {
    for (const t of tools) {
      const saveAs = `rt/${input}.${t.ext}`;
      out.push({ ...bb(t.c, '-c', input), saveAs });
      out.push({ ...bb(t.d, '-c', ...(t.d === 'lzop' ? ['-d'] : []), saveAs), stdoutEquals: input });
    }
  }
  // The start of the busybox binary, the input that once faulted in gzip right after the first
  // 20-million-instruction slice (a stale Thumb IT state after a TLB miss), and other levels.
  out.push(bb('gzip', '-c', 'b200k'), bb('gzip', '-9', '-c', 'b200k'), bb('gzip', '-1', '-c', 'b200k'), bb('bzip2', '-1', '-c', 'b200k'));
  out.push({ ...bb('tar', '-xOf', 'rt/inputs.tar', 'bin.dat'), stdoutEquals: 'bin.dat' });
  // Binary standard input: clonecloud's own gzip output, decompressed from stdin.
  out.push({ ...bb('gunzip', '-c'), stdinFile: 'rt/bb.gz', stdoutEquals: 'bb' });
  out.push({ ...bb('cat', 'bb'), stdoutEquals: 'bb' });
  // busybox's xz applet only decompresses: the input folder holds one the host made.
  out.push({ ...bb('unxz', '-c', 'rt/text.txt.xz'), stdoutEquals: 'text.txt' });
  return out;
}

/** bash-static and mksh running builtin-only scripts (no fork, pipes or command substitution yet). */
const SHELLS: RealCase[] = [
  { prog: 'bash', args: ['scripts/bash-arith.sh'] },
  { prog: 'bash', args: ['scripts/bash-arrays.sh'] },
  { prog: 'bash', args: ['scripts/bash-strings.sh'] },
  { prog: 'bash', args: ['scripts/bash-functions.sh'] },
  { prog: 'bash', args: ['scripts/bash-herestring.sh'] },
  { prog: 'bash', args: ['-c', 'x=5; while (( x-- > 0 )); do printf "%d " $x; done; echo; exit 7'] },
  { prog: 'bash', args: ['scripts/bash-more.sh'] },
  { prog: 'bash', args: ['--version'] },
  {
    prog: 'bash',
    args: ['-s', 'a', 'b'],
    stdin: 'echo "script from stdin: $# $2"; n=0; while read -r w; do ((n++)); done; echo "$n more lines"; exit 4\nx\ny\n',
  },
  { prog: 'mksh-klibc', args: [], stdin: 'print -r -- "mksh from stdin"\ntypeset -i x=6*7; print $x\n' },
  { prog: 'mksh-klibc', args: ['scripts/mksh-arith.sh'] },
  { prog: 'mksh-klibc', args: ['scripts/mksh-strings.sh'] },
  { prog: 'mksh-diet', args: ['scripts/mksh-arith.sh'] },
  { prog: 'mksh-diet', args: ['scripts/mksh-strings.sh'] },
  { prog: 'mksh-klibc', args: ['scripts/mksh-more.sh'] },
  { prog: 'mksh-diet', args: ['scripts/mksh-more.sh'] },
  { prog: 'mksh-musl', args: ['scripts/mksh-arith.sh'] },
  { prog: 'mksh-musl', args: ['scripts/mksh-strings.sh'] },
  { prog: 'mksh-musl', args: ['scripts/mksh-more.sh'] },
  { prog: 'mksh-diet', args: ['-c', 'print $KSH_VERSION; set -A x 3 1 2; print ${x[1]}; exit 3'] },
  { prog: 'mksh-klibc', args: ['-c', 'read -t 5 x < text.txt; print $? $x'] },
];

const writes = (...args: string[]): RealCase => ({ prog: 'busybox', args, writes: true });

/** Changing files in scratch/: compared by output, exit status and what scratch/ holds afterwards. */
const WRITES: RealCase[] = [
  writes('mkdir', '-p', 'scratch/a/b/c'),
  writes('rm', '-r', 'scratch/d'),
  writes('mv', 'scratch/f', 'scratch/g'),
  writes('cp', 'text.txt', 'scratch/copy'),
  writes('dd', 'if=bin.dat', 'of=scratch/out', 'bs=1000', 'count=2', 'status=none'),
  writes('truncate', '-s', '100', 'scratch/f'),
  writes('split', '-b', '1000', 'bin.dat', 'scratch/part'),
  writes('dd', 'if=z2000', 'of=scratch/f', 'bs=1', 'seek=5', 'count=3', 'conv=notrunc', 'status=none'),
  writes('rmdir', 'scratch/d'),
  writes('tar', '-xf', 'rt/inputs.tar', '-C', 'scratch'),
  writes('sed', '-i', 's/scratch/SCRATCH/', 'scratch/f'),
  writes('cp', '-r', 'tree/src', 'scratch/src2'),
  known(writes('ln', 'scratch/f', 'scratch/hard'), X.link),
  writes('chmod', '600', 'scratch/f'),
  writes('touch', '-d', '2020-01-01 00:00:00', 'scratch/f'),
  writes('ln', '-s', '../text.txt', 'scratch/link'),
  writes('mkfifo', 'scratch/fifo'),
  { ...writes('chown', '10001:10001', 'scratch/f'), owners: true },
  { prog: 'bash', args: ['scripts/bash-files.sh'], writes: true },
  { prog: 'mksh-klibc', args: ['scripts/mksh-files.sh'], writes: true },
  { prog: 'mksh-musl', args: ['scripts/mksh-files.sh'], writes: true },
];

/** The static Go program: its usage text and a real conversion. */
const GO: RealCase[] = [
  { prog: 'go-md2man', args: ['-help'] },
  known({ prog: 'go-md2man', args: ['-in', 'doc.md'] }, X.epoll),
  { prog: 'go-md2man', args: [], stdin: '# TITLE\n\nSome *text*.\n' },
];

/** Every case, in the order they run (a round trip's decompression after its compression). */
export function realCases(ownedByPhoneUser: boolean): RealCase[] {
  const all = [...APPLETS, ...PROGRAMS, ...FILES, ...DATES, ...roundTrips(), ...SHELLS, ...WRITES, ...GO];
  return all.map((c) => (c.owners && !ownedByPhoneUser ? known(c, X.notRoot) : c));
}
