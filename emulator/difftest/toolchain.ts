/**
 * The host tools the differential test needs: the distro's ARM assembler and linker (so every
 * generated instruction is a valid encoding, checked by an independent tool) and qemu-arm, the
 * reference. Missing tools are a clear error naming the set-up script.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloneCloudError } from '../errors';

/** Run a tool; a failure or any warning is an error (a warning means a generated form is doubtful). */
function tool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new CloneCloudError(`${cmd} is not available (${r.error.message}); run 'bash scripts/setup.sh'`);
  if (r.status !== 0 || r.stderr.trim())
    throw new CloneCloudError(`${cmd} ${r.status !== 0 ? 'failed' : 'warned'}: ${r.stderr.trim().split('\n').slice(0, 20).join('\n')}`);
}

/** Assemble `source` and link it statically into `dir/name`; returns the ELF's path. */
export function assembleProgram(source: string, dir: string, name: string): string {
  const src = path.join(dir, `${name}.s`);
  const obj = path.join(dir, `${name}.o`);
  const elf = path.join(dir, name);
  fs.writeFileSync(src, source);
  tool('arm-linux-gnueabihf-as', ['-o', obj, src]);
  tool('arm-linux-gnueabihf-ld', ['-static', '-o', elf, obj]);
  return elf;
}

/** What qemu-arm printed and how the program ended. */
export interface ReferenceRun {
  stdout: Buffer;
  status: number;
  stderr: string;
}

/** Run `elf` under qemu-arm as a Cortex-A15 (the CPU clonecloud models), with an empty environment. */
export function runReference(elf: string): ReferenceRun {
  const r = spawnSync('qemu-arm', ['-cpu', 'cortex-a15', elf], { env: {}, maxBuffer: 256 << 20 });
  if (r.error) throw new CloneCloudError(`qemu-arm is not available (${r.error.message}); run 'bash scripts/setup.sh'`);
  // qemu-arm ends itself with the guest's fatal signal; report it as a shell would, 128 + signal.
  const signal = r.signal ? os.constants.signals[r.signal] : undefined;
  return { stdout: r.stdout, status: r.status ?? 128 + (signal ?? 9), stderr: r.stderr.toString() };
}
