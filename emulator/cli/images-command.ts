/** `clonecloud images`: list the sample phone images. */
import * as fs from 'fs';
import * as path from 'path';
import { sampleImages } from '../image/manifest';
import { DEFAULT_PROFILE } from '../model/profiles';
import { printJson, table } from './output';

/** The repository's images/ folder. */
export const IMAGES_DIR = path.resolve(__dirname, '..', '..', '..', 'images');

/** Print every image under images/ with its program, profile and whether its ELF is built. */
export function imagesCommand(opts: { json?: boolean; dir?: string }): number {
  const dir = opts.dir ?? IMAGES_DIR;
  const list = sampleImages(dir).map((img) => ({
    name: img.manifest.name,
    path: path.relative(process.cwd(), img.dir) || '.',
    profile: img.manifest.profile ?? DEFAULT_PROFILE,
    program: img.manifest.program.path,
    argv: img.manifest.program.argv,
    built: fs.existsSync(img.elfPath),
    description: img.manifest.description,
  }));
  if (opts.json) {
    printJson(list);
    return 0;
  }
  const rows = list.map((i) => [i.name, i.path, i.profile, i.built ? 'yes' : 'no', i.description]);
  process.stdout.write(table(['name', 'path', 'profile', 'built', 'description'], rows));
  return 0;
}
