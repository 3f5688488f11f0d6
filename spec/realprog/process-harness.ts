/** What the process specs share: the folder both sides run in, and each case's program and argv. */
import * as fs from 'fs';
import * as path from 'path';
import { debianProgram } from '../support/debian';
import { fixtureElf } from '../support/oracle';
import { layOutInputs } from '../support/realprog-inputs';
import { ProcessCase } from './process-cases';

/** Both sides get exactly this environment (see debian.spec.ts for TZ). */
export const ENV: Record<string, string> = { HOME: '/', PATH: '/bin:/usr/bin', LANG: 'C', TZ: 'UTC0' };
/** A case still running after this many instructions under clonecloud is reported as hung. */
export const BUDGET = 4_000_000_000n;
const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures');
/** Under qemu-arm, the program that the guest executes is a host script (process-cases.ts says why). */
const underQemu = (arg: string): string => arg.replace(/\.\/exec-target\b/g, './exec-target.qemu');

/** The program and argv of a case (`qemu`: as qemu-arm runs it). */
export function command(c: ProcessCase, qemu = false): { elf: string; argv: string[] } {
  const r = c.run;
  if ('sh' in r) return { elf: debianProgram('busybox'), argv: ['busybox', 'sh', '-c', qemu ? underQemu(c.qemuLine ?? r.sh) : r.sh] };
  if ('script' in r) return { elf: debianProgram('busybox'), argv: ['busybox', 'sh', `scripts/${r.script}`] };
  return { elf: fixtureElf(r.fixture), argv: [r.fixture, ...(r.args ?? []).map((a) => (qemu ? underQemu(a) : a))] };
}

/** The folder both sides use: the real-program inputs, the fixture script and exec-target. */
export function layOut(root: string): void {
  layOutInputs(root, debianProgram('busybox'));
  fs.copyFileSync(path.join(FIXTURES, 'forking.sh'), path.join(root, 'scripts', 'forking.sh'));
  const target = fixtureElf('exec-target');
  fs.copyFileSync(target, path.join(root, 'exec-target'));
  fs.chmodSync(path.join(root, 'exec-target'), 0o755);
  // qemu-arm cannot have the host execute an ARM program: this host script starts qemu-arm on it.
  const qemu = ['/usr/bin/qemu-arm', '/usr/local/bin/qemu-arm'].find((p) => fs.existsSync(p)) ?? 'qemu-arm';
  fs.writeFileSync(path.join(root, 'exec-target.qemu'), `#!/bin/sh\nexec ${qemu} -0 exec-target ${target} "$@"\n`, { mode: 0o755 });
}
