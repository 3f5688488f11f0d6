/** Building ARM test programs with the distro cross toolchain, and running them under qemu-arm. */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures');
const CACHE = path.join(os.tmpdir(), 'clonecloud-spec-bin');

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} is not available (${r.error.message}): run 'bash scripts/setup.sh'`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.stderr}`);
}

/** Assemble and link spec/fixtures/<name>.S into a static ELF (cached by content); returns its path. */
export function assemble(name: string): string {
  const src = path.join(FIXTURES, `${name}.S`);
  const text = fs.readFileSync(src);
  const hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  const out = path.join(CACHE, `${name}-${hash}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE, { recursive: true });
  const obj = `${out}.o`;
  run('arm-linux-gnueabihf-as', ['-o', obj, src]);
  run('arm-linux-gnueabihf-ld', ['-static', '-o', `${out}.tmp`, obj]);
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

/** Compile a C file with the cross compiler as the sample images are built; returns the ELF path. */
export function compileC(source: string, extraFlags: string[] = []): string {
  return compileWith(source, ['-static', ...extraFlags]);
}

/** Compile a C file into a dynamically linked PIE against the cross C library; returns the ELF path. */
export function compileDynamicC(source: string, extraFlags: string[] = []): string {
  return compileWith(source, ['-fPIE', '-pie', ...extraFlags]);
}

/** The cross C library's root: its lib/ holds ld-linux-armhf.so.3 and libc.so.6 (qemu-arm -L's usual root). */
export const CROSS_LIBC_ROOT = '/usr/arm-linux-gnueabihf';

function compileWith(source: string, extraFlags: string[]): string {
  const text = fs.readFileSync(source);
  const hash = crypto.createHash('sha256').update(text).update(extraFlags.join(' ')).digest('hex').slice(0, 16);
  const out = path.join(CACHE, `${path.basename(source, '.c')}-${hash}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE, { recursive: true });
  run('arm-linux-gnueabihf-gcc', ['-O2', '-march=armv7-a', '-mthumb', '-mfpu=neon-vfpv4', '-mfloat-abi=hard', ...extraFlags, '-o', `${out}.tmp`, source]);
  fs.renameSync(`${out}.tmp`, out);
  return out;
}

/** What a process printed and how it ended. */
export interface ProcessResult {
  stdout: Buffer;
  stderr: Buffer;
  status: number;
}

/** Run `elf` under qemu-arm in `cwd` with exactly `env`, argv[0] set to `argv[0]` (stdin empty unless given). */
export function runQemu(elf: string, argv: string[], env: Record<string, string>, cwd: string, stdin?: Uint8Array): ProcessResult {
  // qemu-user builds the guest's environment by prepending each host variable to a list
  // (util/envlist.c), so it reverses their order: hand it over reversed to keep the given order.
  const reversed = Object.fromEntries(Object.entries(env).reverse());
  const r = spawnSync('qemu-arm', ['-0', argv[0], elf, ...argv.slice(1)], { cwd, env: reversed, input: stdin, maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`qemu-arm is not available (${r.error.message}): run 'bash scripts/setup.sh'`);
  // qemu-arm dies of the guest's fatal signal: report 128 + its number, as the CLI and shells do.
  return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? 128 + (r.signal ? os.constants.signals[r.signal] : 0) };
}

/** A fresh temporary folder. */
export function tempDir(prefix = 'cc-spec-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
