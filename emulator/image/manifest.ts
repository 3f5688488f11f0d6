/**
 * Phone image manifests (images/<name>/manifest.json, format 1). See README "Image manifest".
 * Loading validates every field and reports the first problem as one ImageError line.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ImageError } from '../errors';
import { bootProgram, BootSpec } from '../machine/boot-spec';
import { DeviceProfile } from '../model/profiles';
import { isPackageName } from './debian-packages';

/** The manifest format this version reads. */
export const MANIFEST_FORMAT = 1;

/** The program an image runs. */
export interface ProgramSpec {
  /** C source, relative to the image folder. */
  source?: string;
  /** The built ELF, relative to the image folder. */
  elf: string;
  /** Guest path of the program. */
  path: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

/** A root folder of the image made from Debian armhf packages (at set-up, with `clonecloud rootfs add`). */
export interface DebianRootSpec {
  /** The folder, relative to the image folder. */
  dir: string;
  packages: string[];
}

/** A parsed, validated manifest. */
export interface ImageManifest {
  format: number;
  name: string;
  description: string;
  program: ProgramSpec;
  profile?: string;
  seed: number;
  /** Root file system entries, passed to the VFS as they are (it validates them). */
  rootfs: unknown[];
  /** Guest paths only the phone has (a camera, a contacts database): an offloaded call that uses one comes back to the phone. */
  phoneOnly: string[];
  /** The root folder set-up builds from Debian packages, if the image has one. */
  debianRoot?: DebianRootSpec;
}

/** A manifest together with where it was found. */
export interface LoadedImage {
  dir: string;
  manifest: ImageManifest;
  /** Absolute path of the built ELF. */
  elfPath: string;
}

function fail(file: string, what: string): never {
  throw new ImageError(`${file}: ${what}`);
}

function str(file: string, o: Record<string, unknown>, key: string, where: string, fallback?: string): string {
  const v = o[key] ?? fallback;
  if (typeof v !== 'string' || v === '') fail(file, `${where}"${key}" must be a non-empty string`);
  return v;
}

/** Validate manifest JSON `data` read from `file`. */
export function parseManifest(data: unknown, file: string): ImageManifest {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail(file, 'the manifest must be a JSON object');
  const m = data as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT) {
    fail(file, `unsupported manifest format ${JSON.stringify(m.format)} (this clonecloud reads format ${MANIFEST_FORMAT})`);
  }
  const name = str(file, m, 'name', '');
  if (typeof m.program !== 'object' || m.program === null) fail(file, '"program" must be an object');
  const p = m.program as Record<string, unknown>;
  const argv = p.argv ?? [path.basename(str(file, p, 'path', 'program.'))];
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
    fail(file, '"program.argv" must be a non-empty array of strings');
  }
  const env = p.env ?? {};
  if (typeof env !== 'object' || env === null || Array.isArray(env) || !Object.values(env).every((v) => typeof v === 'string')) {
    fail(file, '"program.env" must be an object of strings');
  }
  const guestPath = str(file, p, 'path', 'program.');
  const cwd = str(file, p, 'cwd', 'program.', '/');
  if (!guestPath.startsWith('/') || !cwd.startsWith('/')) fail(file, '"program.path" and "program.cwd" must be absolute guest paths');
  const seed = m.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    fail(file, '"seed" must be an integer between 0 and 4294967295');
  }
  const rootfs = m.rootfs ?? [];
  if (!Array.isArray(rootfs)) fail(file, '"rootfs" must be an array');
  if (m.profile !== undefined && typeof m.profile !== 'string') fail(file, '"profile" must be a profile id');
  const phoneOnly = m.phoneOnly ?? [];
  if (!Array.isArray(phoneOnly) || !phoneOnly.every((x) => typeof x === 'string' && x.startsWith('/'))) {
    fail(file, '"phoneOnly" must be an array of absolute guest paths');
  }
  return {
    format: MANIFEST_FORMAT,
    debianRoot: m.debianRoot === undefined ? undefined : parseDebianRoot(m.debianRoot, file),
    name,
    description: typeof m.description === 'string' ? m.description : '',
    program: {
      source: typeof p.source === 'string' ? p.source : undefined,
      elf: str(file, p, 'elf', 'program.'),
      path: guestPath,
      argv: argv as string[],
      env: env as Record<string, string>,
      cwd,
    },
    profile: m.profile as string | undefined,
    seed,
    rootfs,
    phoneOnly: phoneOnly as string[],
  };
}

function parseDebianRoot(v: unknown, file: string): DebianRootSpec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, '"debianRoot" must be an object with "dir" and "packages"');
  const o = v as Record<string, unknown>;
  const dir = str(file, o, 'dir', 'debianRoot.');
  if (path.isAbsolute(dir) || dir.split(/[\\/]/).includes('..'))
    fail(file, '"debianRoot.dir" must be a folder inside the image folder (a relative path without "..")');
  const packages = o.packages;
  if (!Array.isArray(packages) || packages.length === 0 || !packages.every((p) => typeof p === 'string' && isPackageName(p))) {
    fail(file, '"debianRoot.packages" must be a non-empty array of Debian package names');
  }
  return { dir, packages: packages as string[] };
}

/** Throw an ImageError saying how to build the image when its program is not there yet. */
export function assertBuilt(img: LoadedImage, shown: string): void {
  if (fs.existsSync(img.elfPath)) return;
  const { program, debianRoot } = img.manifest;
  if (debianRoot) {
    const rootDir = path.join(path.relative(process.cwd(), img.dir) || '.', debianRoot.dir);
    throw new ImageError(
      `${shown}: program ${program.elf} is not there: its root is built from Debian packages by 'bash scripts/setup.sh', or by 'clonecloud rootfs add ${rootDir} ${debianRoot.packages.join(' ')}'`,
    );
  }
  throw new ImageError(`${shown}: program ${program.elf} is not built: run 'bash scripts/setup.sh' (or scripts/build-images.sh)`);
}

/** Read and validate `<dir>/manifest.json`. */
export function loadImage(dir: string): LoadedImage {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'manifest.json');
  if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
    throw new ImageError(`${dir}: no such image folder (try 'clonecloud images' for the sample images)`);
  }
  if (!fs.existsSync(file)) throw new ImageError(`${dir}: no manifest.json in the image folder`);
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ImageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const manifest = parseManifest(data, file);
  return { dir: abs, manifest, elfPath: path.resolve(abs, manifest.program.elf) };
}

/** The sample images shipped in images/. */
export function sampleImages(imagesDir: string): LoadedImage[] {
  if (!fs.existsSync(imagesDir)) return [];
  return fs
    .readdirSync(imagesDir)
    .sort()
    .filter((n) => fs.existsSync(path.join(imagesDir, n, 'manifest.json')))
    .map((n) => loadImage(path.join(imagesDir, n)));
}

/**
 * The boot record of an image as its manifest describes it, on `profile`; `elf` (the built
 * program's bytes, when read) names the program by hash too. Host folders in the manifest are
 * relative to the image folder.
 */
export function imageBootSpec(img: LoadedImage, profile: DeviceProfile, elf?: Uint8Array): BootSpec {
  const m = img.manifest;
  return {
    name: m.name,
    program: bootProgram(m.program.path, elf, img.elfPath),
    argv: m.program.argv,
    env: Object.entries(m.program.env).map(([k, v]) => `${k}=${v}`),
    cwd: m.program.cwd,
    profile,
    rootfs: m.rootfs,
    rootfsBase: img.dir,
    seed: m.seed,
  };
}
