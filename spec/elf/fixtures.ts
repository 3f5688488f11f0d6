/**
 * Real ARM executables for the ELF tests, compiled once per test run with the distro cross
 * compiler. A missing compiler is a hard failure: silently skipping would hide a broken loader.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const CROSS_CC = 'arm-linux-gnueabihf-gcc';
export const CROSS_READELF = 'arm-linux-gnueabihf-readelf';

/** A program with initialised data, a large bss and thread-local variables (PT_TLS). */
const LIBC_PROGRAM = `
#include <stdio.h>
#include <string.h>
__thread int tls_counter = 7;
__thread char tls_buf[32];
int initialised[4] = {11, 22, 33, 44};
char zeroed[20000];
int main(int argc, char **argv) {
  tls_counter += argc;
  strncpy(tls_buf, argv[0], sizeof tls_buf - 1);
  printf("%d %d %s\\n", tls_counter, initialised[argc & 3] + zeroed[argc], tls_buf);
  return 0;
}
`;

/**
 * A program that needs no C library. Debian's armhf cross glibc ships no rcrt1.o, so a
 * static-PIE cannot be linked against it; this one has its own _start instead.
 */
const FREESTANDING_PROGRAM = `
static const char msg[] = "hi\\n";
int counter = 3;
char zeroed[10000];
void _start(void) {
  register int r0 asm("r0") = 1;
  register const char *r1 asm("r1") = msg;
  register int r2 asm("r2") = 3;
  register int r7 asm("r7") = 4;
  asm volatile("svc 0" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r7) : "memory");
  r0 = counter + zeroed[5];
  r7 = 1;
  asm volatile("svc 0" : : "r"(r0), "r"(r7));
  for (;;) {}
}
`;

export type FixtureKind = 'static' | 'static-pie' | 'dynamic' | 'shared-page' | 'tiny';

const RECIPES: Record<FixtureKind, { source: string; flags: string[] }> = {
  static: { source: LIBC_PROGRAM, flags: ['-static', '-O2'] },
  'static-pie': {
    source: FREESTANDING_PROGRAM,
    flags: ['-O2', '-fPIE', '-static-pie', '-Wl,--no-dynamic-linker', '-nostdlib', '-nostartfiles'],
  },
  dynamic: { source: LIBC_PROGRAM, flags: ['-O2'] },
  // Tiny page sizes make the linker start the data segment on the page where text ends.
  'shared-page': {
    source: LIBC_PROGRAM,
    flags: ['-static', '-O2', '-Wl,-z,max-page-size=16', '-Wl,-z,common-page-size=16', '-Wl,-z,noseparate-code'],
  },
  tiny: { source: FREESTANDING_PROGRAM, flags: ['-O2', '-static', '-nostdlib', '-nostartfiles'] },
};

/**
 * Compile every fixture now. Spawning the compiler can fail with ENOMEM once a few 4 GiB guest
 * address spaces are alive, so the spec files call this from a root hook, before any test runs.
 */
export function buildAllFixtures(): void {
  for (const kind of Object.keys(RECIPES) as FixtureKind[]) fixture(kind);
}

let workDir: string | undefined;
const built = new Map<FixtureKind, { file: string; bytes: Uint8Array }>();

/** Compile (once) and return the fixture of `kind`: its path and a fresh copy of its bytes. */
export function fixture(kind: FixtureKind): { file: string; bytes: Uint8Array } {
  let entry = built.get(kind);
  if (!entry) {
    const dir = tempDir();
    const src = path.join(dir, `${kind}.c`);
    const file = path.join(dir, kind);
    fs.writeFileSync(src, RECIPES[kind].source);
    run(CROSS_CC, [...RECIPES[kind].flags, src, '-o', file]);
    entry = { file, bytes: new Uint8Array(fs.readFileSync(file)) };
    built.set(kind, entry);
  }
  return { file: entry.file, bytes: entry.bytes.slice() };
}

/** A PT_LOAD line of `readelf -lW`, as an independent check on the parser. */
export interface ReadelfLoad {
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  flags: string;
  align: number;
}

/** The PT_LOAD segments and entry point of `file` according to binutils readelf. */
export function readelf(file: string): { entry: number; loads: ReadelfLoad[] } {
  const out = run(CROSS_READELF, ['-hlW', file]);
  const entryMatch = /Entry point address:\s+(0x[0-9a-f]+)/.exec(out);
  if (!entryMatch) throw new Error(`readelf printed no entry point for ${file}`);
  const loads: ReadelfLoad[] = [];
  const re = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]+?)\s+(0x[0-9a-f]+)\s*$/gm;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    loads.push({
      offset: Number(m[1]),
      vaddr: Number(m[2]),
      filesz: Number(m[3]),
      memsz: Number(m[4]),
      flags: m[5].replace(/\s/g, ''),
      align: Number(m[6]),
    });
  }
  return { entry: Number(entryMatch[1]), loads };
}

function run(tool: string, args: string[]): string {
  try {
    return execFileSync(tool, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `${tool} is not installed; the ELF tests need real ARM binaries: install it with "apt-get install gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf"`,
      );
    }
    throw new Error(`${tool} ${args.join(' ')} failed: ${err.stderr ?? err.message}`);
  }
}

function tempDir(): string {
  if (!workDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clonecloud-elf-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}
