/** Booting the sample images in-process, as `clonecloud boot images/<name>` would. */
import * as fs from 'fs';
import * as path from 'path';
import { ImageRef } from '../../emulator/snapshot/manifest';
import { loadImage } from '../../emulator/image/manifest';
import { Machine } from '../../emulator/machine/machine';
import { DEFAULT_PROFILE, findProfile } from '../../emulator/model/profiles';

export const IMAGES = path.resolve(__dirname, '..', '..', '..', 'images');

/** A booted image with its output captured. */
export interface ImageRun {
  machine: Machine;
  image: ImageRef;
  stdout(): Buffer;
}

/** Boot images/<name> (with `args` replacing the manifest's arguments when given). */
export function bootImage(name: string, args?: string[], profile?: string): ImageRun {
  const img = loadImage(path.join(IMAGES, name));
  const m = img.manifest;
  const out: Buffer[] = [];
  const image: ImageRef = {
    name: m.name,
    exePath: m.program.path,
    argv: args ? [m.program.argv[0], ...args] : m.program.argv,
    env: Object.entries(m.program.env).map(([k, v]) => `${k}=${v}`),
    rootfs: m.rootfs,
    rootfsBase: img.dir,
    seed: m.seed,
  };
  const machine = new Machine({
    ...image,
    elf: new Uint8Array(fs.readFileSync(img.elfPath)),
    cwd: m.program.cwd,
    profile: findProfile(profile ?? m.profile ?? DEFAULT_PROFILE),
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => out.push(Buffer.from(b)),
    warn: () => undefined,
  });
  return { machine, image, stdout: () => Buffer.concat(out) };
}

/** Drop dead machines before making more: each holds 4 GiB of committed address space. */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
