/** Running a sample image to its end for an experiment: its output kept, progress reported. */
import * as fs from 'fs';
import { assertBuilt, imageBootSpec, loadImage } from '../image/manifest';
import { BootSpec } from '../machine/boot-spec';
import { Machine } from '../machine/machine';
import { RunSummary } from '../model/run-summary';
import { DeviceProfile } from '../model/profiles';

/** How an experiment's run of an image ended. */
export interface ImageRun {
  summary: RunSummary;
  stdout: string;
  stderr: string;
}

/**
 * Boot the image in `imageDir` on `profile` (with `adjust` applied to its boot record), run it to
 * its end in steps of 100M instructions telling `progress`, and return its summary and output.
 */
export function runImage(imageDir: string, profile: DeviceProfile, adjust: (spec: BootSpec) => BootSpec, progress?: (instructions: bigint) => void): ImageRun {
  const img = loadImage(imageDir);
  assertBuilt(img, imageDir);
  const elf = new Uint8Array(fs.readFileSync(img.elfPath));
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const machine = new Machine(adjust(imageBootSpec(img, profile, elf)), {
    elf,
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    warn: () => undefined,
  });
  try {
    const step = 100_000_000n;
    while (machine.run(machine.instructions + step) === 'budget') progress?.(machine.instructions);
    return { summary: machine.summary(), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  } finally {
    machine.close();
    (globalThis as { gc?: () => void }).gc?.();
  }
}
