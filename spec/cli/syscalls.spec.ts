/** `clonecloud syscalls`: every syscall the ABI table names, with the kernel layer's support level. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { SYSCALL_NAMES } from '../../emulator/abi/syscall-names';
import { implementedSyscalls, SyscallCoverage, syscallCoverage } from '../../emulator/kernel/kernel';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
}

describe('cli: syscalls', () => {
  it('--json lists every syscall the ABI table names, in number order, as the kernel table says', () => {
    const r = cli(['syscalls', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as SyscallCoverage[];
    assert.deepEqual(list, syscallCoverage());
    assert.deepEqual(
      list.map((s) => s.nr),
      Object.keys(SYSCALL_NAMES)
        .map(Number)
        .sort((a, b) => a - b),
    );
    for (const s of list) assert.equal(s.name, SYSCALL_NAMES[s.nr]);
    const implemented = new Set(implementedSyscalls());
    for (const s of list) {
      assert.ok(['supported', 'partial', 'unsupported'].includes(s.level), `${s.name}: ${s.level}`);
      if (s.level === 'supported') assert.equal(s.note, undefined, s.name);
      else assert.ok(s.note && s.note.length > 0, `${s.name} is ${s.level} without a note`);
      if (!implemented.has(s.name)) assert.deepEqual([s.level, s.note], ['unsupported', 'no handler: ENOSYS'], s.name);
    }
    const byName = new Map(list.map((s) => [s.name, s]));
    assert.equal(byName.get('read')!.level, 'supported');
    assert.equal(byName.get('futex')!.level, 'partial');
    assert.equal(byName.get('rseq')!.level, 'unsupported');
    assert.equal(byName.get('epoll_create')!.level, 'unsupported');
  });

  it('prints a table with one line per syscall and the totals', () => {
    const r = cli(['syscalls']);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^nr +name +level +note$/);
    const count = Object.keys(SYSCALL_NAMES).length;
    assert.equal(lines.length, count + 2);
    assert.match(lines[1], /^0 +restart_syscall +unsupported +no handler: ENOSYS$/);
    assert.ok(lines.some((l) => /^0xf0005 +ARM_set_tls +supported$/.test(l)));
    const c = (level: string) => syscallCoverage().filter((s) => s.level === level).length;
    assert.equal(
      lines[lines.length - 1],
      `${c('supported')} supported, ${c('partial')} partial, ${c('unsupported')} not supported (ENOSYS unless the note says otherwise)`,
    );
  });

  it('has --help', () => {
    const r = cli(['syscalls', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: clonecloud syscalls/);
    assert.match(r.stdout, /--json/);
  });
});
