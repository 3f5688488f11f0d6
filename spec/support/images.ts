/** Booting the sample images in-process, as `clonecloud boot images/<name>` would. */
import * as fs from 'fs';
import * as path from 'path';
import { imageBootSpec, loadImage } from '../../emulator/image/manifest';
import { Machine } from '../../emulator/machine/machine';
import { DEFAULT_PROFILE, findProfile } from '../../emulator/model/profiles';

export const IMAGES = path.resolve(__dirname, '..', '..', '..', 'images');

/** A booted image with its output captured. */
export interface ImageRun {
  machine: Machine;
  stdout(): Buffer;
}

/** Boot images/<name> (with `args` replacing the manifest's arguments when given). */
export function bootImage(name: string, args?: string[], profile?: string): ImageRun {
  const img = loadImage(path.join(IMAGES, name));
  const m = img.manifest;
  const out: Buffer[] = [];
  const elf = new Uint8Array(fs.readFileSync(img.elfPath));
  const image = imageBootSpec(img, findProfile(profile ?? m.profile ?? DEFAULT_PROFILE), elf);
  if (args) image.argv = [m.program.argv[0], ...args];
  const machine = new Machine(image, {
    elf,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => out.push(Buffer.from(b)),
    warn: () => undefined,
  });
  return { machine, stdout: () => Buffer.concat(out) };
}

/** Drop dead machines before making more: each holds 4 GiB of committed address space. */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
