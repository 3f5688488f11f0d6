/**
 * The one record of what to boot: program, arguments, environment, working directory, device
 * profile, root file system and seed. It is plain JSON data so that it can be stored in a
 * checkpoint manifest and sent to a clone as it is; everything tied to this host (the loaded
 * program bytes, standard streams, warnings, engine switches) travels beside it as HostWiring.
 * The record is part of the checkpoint format: changing its shape needs a snapshot version bump.
 */
import { createHash } from 'crypto';
import { CloneCloudError } from '../errors';
import { DeviceProfile, validateProfile } from '../model/profiles';

/** An argument: text (passed to the guest as UTF-8), or exact bytes in base64 for one that is not UTF-8. */
export type BootArg = string | { base64: string };

/** The program a record boots. */
export interface BootProgram {
  /** Guest path of the program (AT_EXECFN, /proc/self/exe). */
  path: string;
  /** Host file the program was read from, when it came from one (informational on another host). */
  host?: string;
  /** SHA-256 of the ELF file, 64 hex digits: the program's identity wherever the bytes come from. */
  sha256?: string;
}

/** Everything needed to boot a program again, on this host or another. */
export interface BootSpec {
  /** Name used in reports (image name or ELF file name). */
  name: string;
  program: BootProgram;
  argv: BootArg[];
  env: string[];
  /** Initial working directory (a restored machine takes the checkpoint's instead). */
  cwd: string;
  /** The profile by value: a stored record keeps working when a profile definition changes. */
  profile: DeviceProfile;
  /** Root file system entries (image manifest format); relative host folders start at rootfsBase. */
  rootfs: unknown[];
  rootfsBase: string;
  seed: number;
}

/** A boot record is malformed, or the program bytes are not the program it names. */
export class BootSpecError extends CloneCloudError {}

/** The record form of an argument: text when it is valid UTF-8 text, base64 bytes otherwise. */
export function bootArg(arg: string | Uint8Array): BootArg {
  if (typeof arg === 'string') return arg;
  const text = Buffer.from(arg).toString('utf8');
  // Only bytes that decode and re-encode unchanged may travel as text.
  return Buffer.from(text, 'utf8').equals(Buffer.from(arg)) ? text : { base64: Buffer.from(arg).toString('base64') };
}

/** The argument as the guest receives it: text, or its exact bytes. */
export function argBytes(arg: BootArg): string | Uint8Array {
  return typeof arg === 'string' ? arg : new Uint8Array(Buffer.from(arg.base64, 'base64'));
}

/** SHA-256 of a program's bytes, as a record names it. */
export function programHash(elf: Uint8Array): string {
  return createHash('sha256').update(elf).digest('hex');
}

/** The program part of a record: its guest path, and the host file and hash of its bytes when known. */
export function bootProgram(path: string, elf?: Uint8Array, host?: string): BootProgram {
  const program: BootProgram = { path };
  if (host !== undefined) program.host = host;
  if (elf) program.sha256 = programHash(elf);
  return program;
}

/** Refuse program bytes that are not the program `spec` names by hash. */
export function checkProgram(spec: BootSpec, elf: Uint8Array): void {
  if (spec.program.sha256 === undefined) return;
  const got = programHash(elf);
  if (got !== spec.program.sha256) {
    throw new BootSpecError(
      `${spec.name}: the program bytes (sha256 ${got}) are not the program the boot record names (sha256 ${spec.program.sha256}); rebuild or fetch the right ELF`,
    );
  }
}

function fail(where: string, what: string): never {
  throw new BootSpecError(`${where}: ${what}`);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function checkArg(a: unknown): a is BootArg {
  if (typeof a === 'string') return true;
  if (typeof a !== 'object' || a === null) return false;
  const b = (a as { base64?: unknown }).base64;
  return Object.keys(a).length === 1 && typeof b === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(b);
}

/**
 * Check a boot record that came from outside (a file, a link) and return it typed; throws
 * BootSpecError naming the first field that is wrong (ProfileError for the profile).
 */
export function parseBootSpec(raw: unknown, where: string): BootSpec {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, 'a boot record must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') fail(where, '"name" must be a non-empty string');
  const p = o.program as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) fail(where, '"program" must be an object');
  if (typeof p.path !== 'string' || !p.path.startsWith('/')) fail(where, '"program.path" must be an absolute guest path');
  if (p.host !== undefined && typeof p.host !== 'string') fail(where, '"program.host" must be a host path');
  if (p.sha256 !== undefined && (typeof p.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.sha256)))
    fail(where, '"program.sha256" must be 64 lower-case hex digits');
  if (!Array.isArray(o.argv) || o.argv.length === 0 || !o.argv.every(checkArg)) {
    fail(where, '"argv" must be a non-empty array of strings or {"base64": ...} byte strings');
  }
  if (!isStringArray(o.env)) fail(where, '"env" must be an array of strings');
  if (typeof o.cwd !== 'string' || !o.cwd.startsWith('/')) fail(where, '"cwd" must be an absolute guest path');
  if (!Array.isArray(o.rootfs)) fail(where, '"rootfs" must be an array');
  if (typeof o.rootfsBase !== 'string') fail(where, '"rootfsBase" must be a host path');
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) {
    fail(where, '"seed" must be an integer between 0 and 4294967295');
  }
  const program: BootProgram = { path: p.path };
  if (p.host !== undefined) program.host = p.host;
  if (p.sha256 !== undefined) program.sha256 = p.sha256 as string;
  return {
    name: o.name,
    program,
    argv: o.argv as BootArg[],
    env: o.env,
    cwd: o.cwd,
    profile: validateProfile(o.profile, `${where}: "profile"`),
    rootfs: o.rootfs,
    rootfsBase: o.rootfsBase,
    seed: o.seed,
  };
}
