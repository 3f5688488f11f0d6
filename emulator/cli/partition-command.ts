/** `clonecloud partition`: profile a program on the phone's profile and the clone's, and say which functions to offload over a link. */
import { DEFAULT_LINK, findLink } from '../model/links';
import { findProfile } from '../model/profiles';
import { initHashing } from '../snapshot/page-hash';
import { bootable, BootOptions } from './boot-command';
import { printJson } from './output';
import { DEFAULT_CLONE, formatPlan, parseObjective, planFor } from './partition-plan';

/** Options of `partition`. */
export interface PartitionOptions extends BootOptions {
  phone?: string;
  clone?: string;
  link?: string;
  objective?: string;
  candidates?: string[];
  phoneOnly?: string[];
  json?: boolean;
}

/** Run `partition`; exit code 0. */
export async function partitionCommand(image: string | undefined, args: string[], opts: PartitionOptions): Promise<number> {
  await initHashing();
  const b = bootable(image, args, { ...opts, profile: opts.phone ?? opts.profile });
  const plan = planFor(b, {
    phone: b.profile,
    clone: findProfile(opts.clone ?? DEFAULT_CLONE),
    link: findLink(opts.link ?? DEFAULT_LINK),
    objective: parseObjective(opts.objective),
    candidates: opts.candidates,
    phoneOnly: b.phoneOnly,
  });
  if (opts.json) printJson(plan);
  else process.stdout.write(formatPlan(plan, image ?? opts.elf ?? 'the program'));
  return 0;
}
