/** `clonecloud boot`: run an image (or a bare ELF over a host folder) to the end. */
import * as fs from 'fs';
import { writeFully } from './output';
import * as path from 'path';
import { EACCES, ENOENT, ENOTDIR, ErrnoError } from '../abi/errno';
import { ImageError, UsageError } from '../errors';
import { assertBuilt, imageBootSpec, loadImage } from '../image/manifest';
import { displayName } from '../vfs/path';
import { bootArg, bootProgram, BootSpec } from '../machine/boot-spec';
import { Machine } from '../machine/machine';
import { DEFAULT_PROFILE, DeviceProfile, findProfile } from '../model/profiles';
import { parseCount } from './counts';
import { RunOptions, runToEnd } from './run-to-end';
import { Bootable, DEFAULT_CLONE, parseObjective, planFor } from './partition-plan';
import { Plan } from '../runtime/partitioner';
import { DEFAULT_LINK, findLink } from '../model/links';
import { rawOperands } from './raw-args';
import { guestStdin } from './stdin';

/** Options of the boot command, as commander parses them. */
export interface BootOptions extends RunOptions {
  elf?: string;
  root?: string;
  profile?: string;
  profileFile?: string;
  seed?: string;
  cwd?: string;
  env?: string[];
  stdin?: string;
}

/** What to boot before the profile is chosen: an image folder's record, or one made for --elf/--root. */
interface Target {
  boot: (profile: DeviceProfile, elf: Uint8Array) => BootSpec;
  elfPath: string;
  profileId: string;
  /** Paths the image marks phone-only. */
  phoneOnly: string[];
}

function resolveImage(dir: string): Target {
  const img = loadImage(dir);
  const m = img.manifest;
  assertBuilt(img, dir);
  return { boot: (profile, elf) => imageBootSpec(img, profile, elf), elfPath: img.elfPath, profileId: m.profile ?? DEFAULT_PROFILE, phoneOnly: m.phoneOnly };
}

/** Largest program accepted; real static programs are a few megabytes. */
const MAX_ELF_BYTES = 1 << 30;

/**
 * Read a program file, refusing anything but a regular file before reading (a FIFO would block,
 * /dev/zero never ends) and anything above MAX_ELF_BYTES.
 */
function readProgram(file: string, what: string): Uint8Array {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ImageError(`${what}: ${code === 'ENOENT' ? 'no such file' : `cannot open: ${(e as Error).message}`}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new ImageError(`${what}: not a regular file`);
    if (st.size > MAX_ELF_BYTES) throw new ImageError(`${what}: ${st.size} bytes is too large for a program (at most ${MAX_ELF_BYTES})`);
    const bytes = new Uint8Array(st.size);
    let got = 0;
    while (got < bytes.length) {
      const n = fs.readSync(fd, bytes, got, bytes.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return bytes.subarray(0, got);
  } finally {
    fs.closeSync(fd);
  }
}

/** The canonical guest path of `cwd` (a guest byte string), which must be an existing directory in the guest's tree. */
function guestDirectory(machine: Machine, cwd: string): string {
  try {
    return machine.vfs.resolveDirectory(cwd, '/');
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
    const why = e.errno === ENOENT ? 'no such directory' : e.errno === ENOTDIR ? 'not a directory' : e.errno === EACCES ? 'not searchable' : e.message;
    throw new UsageError(`working directory ${displayName(cwd)}: ${why} in the guest's file system`);
  }
}

function resolveElf(elf: string, opts: BootOptions): Target {
  const rootfs: unknown[] = [];
  let exePath = '/' + path.basename(elf);
  if (opts.root) {
    const root = path.resolve(opts.root);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new ImageError(`--root ${opts.root}: not a folder`);
    rootfs.push({ type: 'host', source: root, target: '/' });
    const rel = path.relative(root, path.resolve(elf));
    if (!rel.startsWith('..') && !path.isAbsolute(rel)) exePath = '/' + rel.split(path.sep).join('/');
  }
  const elfPath = path.resolve(elf);
  const boot = (profile: DeviceProfile, bytes: Uint8Array): BootSpec => ({
    name: path.basename(elf),
    program: bootProgram(exePath, bytes, elfPath),
    argv: [path.basename(elf)],
    env: ['HOME=/', 'PATH=/bin:/usr/bin', 'LANG=C'],
    cwd: '/',
    profile,
    rootfs,
    rootfsBase: process.cwd(),
    seed: 1,
  });
  return { boot, elfPath, profileId: DEFAULT_PROFILE, phoneOnly: [] };
}

/** Resolve what `boot` would boot (image or --elf, operands, --env, --cwd, --seed, --stdin), without booting it. */
export function bootable(image: string | undefined, args: string[], opts: BootOptions): Bootable {
  // With --elf every operand belongs to the program: commander hands the first one over as the image.
  if (opts.elf && image !== undefined) {
    args = [image, ...args];
    image = undefined;
  }
  if (!image && !opts.elf) throw new UsageError('nothing to boot: give an image folder (see clonecloud images) or --elf <file>');
  if (opts.root && !opts.elf) throw new UsageError('--root goes with --elf (an image names its own root file system)');
  const t = image ? resolveImage(image) : resolveElf(opts.elf!, opts);
  const profile = findProfile(opts.profile ?? t.profileId, opts.profileFile);
  for (const kv of opts.env ?? []) {
    const name = kv.includes('=') ? kv.slice(0, kv.indexOf('=')) : '';
    if (!name) throw new UsageError(`--env ${kv}: expected NAME=value with a non-empty NAME`);
  }
  if (opts.cwd !== undefined && !opts.cwd.startsWith('/')) throw new UsageError(`--cwd ${opts.cwd}: must be an absolute guest path (starting with /)`);
  const seed = opts.seed !== undefined ? Number(parseCount(opts.seed, '--seed', 0xffffffffn)) : undefined;
  const stdin = guestStdin(opts.stdin);
  // Validate counts before any work: a typo should not cost a run.
  if (opts.maxInstructions) parseCount(opts.maxInstructions, '--max-instructions');
  const elf = readProgram(t.elfPath, opts.elf ? '--elf ' + opts.elf : t.elfPath);
  const spec = t.boot(profile, elf);
  // Operands replace argv[1...]; one that is not UTF-8 reaches the guest byte for byte.
  if (args.length) spec.argv = [spec.argv[0], ...rawOperands(args).map(bootArg)];
  for (const kv of opts.env ?? []) {
    const name = kv.slice(0, kv.indexOf('='));
    spec.env = spec.env.filter((e) => e.split('=')[0] !== name).concat(kv);
  }
  if (opts.cwd !== undefined) spec.cwd = opts.cwd;
  if (seed !== undefined) spec.seed = seed;
  return {
    profile,
    elf,
    phoneOnly: [...t.phoneOnly, ...(opts.phoneOnly ?? [])],
    machine(p, wiring) {
      const machine = new Machine({ ...spec, profile: p }, { ...wiring, elf, stdin: wiring.stdin ?? stdin });
      try {
        // The working directory must exist in the guest's own tree, which only the machine knows.
        machine.kernel.group.cwd = guestDirectory(machine, machine.kernel.group.cwd);
      } catch (e) {
        machine.close();
        throw e;
      }
      return machine;
    },
  };
}

/** The partition plan for `--offload auto`, announced in one line. */
function autoPlan(b: Bootable, opts: BootOptions): Plan {
  if (!opts.clone) throw new UsageError('--offload needs --clone HOST:PORT and --token-file');
  if (opts.syncPolicy === 'opportunistic') throw new UsageError('--offload auto plans for one link: use it with the periodic or on-demand policy and --link');
  const plan = planFor(b, {
    phone: b.profile,
    clone: findProfile(opts.cloneProfile ?? DEFAULT_CLONE),
    link: findLink(opts.link ?? DEFAULT_LINK),
    objective: parseObjective(opts.objective),
    phoneOnly: b.phoneOnly,
  });
  const c = (x: { seconds: number; joules: number }) => `${x.seconds.toFixed(3)} s, ${x.joules.toFixed(3)} J`;
  process.stderr.write(
    `clonecloud: partition over ${plan.link} (${plan.clone} clone, minimising ${plan.objective}): ` +
      `${plan.chosen.length ? `offload ${plan.chosen.join(', ')}` : 'nothing to offload'}; predicted ${c(plan.predicted.partitioned)} against ${c(plan.predicted.local)} on the phone alone\n`,
  );
  return plan;
}

/** Boot and run; returns the process exit code (the guest's). */
export async function bootCommand(image: string | undefined, args: string[], opts: BootOptions): Promise<number> {
  const b = bootable(image, args, opts);
  // --offload auto: a profiling run on each side first, then the functions the plan picks.
  const plan = opts.offload?.includes('auto') ? autoPlan(b, opts) : undefined;
  if (plan) opts = { ...opts, offload: [...opts.offload!.filter((f) => f !== 'auto'), ...plan.chosen], plan };
  const machine = b.machine(b.profile, {
    stdout: (bytes) => writeFully(1, bytes),
    stderr: (bytes) => writeFully(2, bytes),
    warn: (msg) => process.stderr.write(`clonecloud: ${msg}\n`),
  });
  return runToEnd(machine, { ...opts, phoneOnly: b.phoneOnly });
}
