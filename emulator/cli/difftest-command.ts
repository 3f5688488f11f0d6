/** `clonecloud difftest`: run a static ARM program under clonecloud and qemu-arm and find where they differ. */
import * as fs from 'fs';
import * as path from 'path';
import { ImageError, UsageError } from '../errors';
import { difftest } from '../difftest/difftest';
import { buildMachine, DiffTarget } from '../difftest/lockstep';
import { buildReport, formatReport } from '../difftest/report';
import { DEFAULT_PROFILE, findProfile } from '../model/profiles';
import { printJson } from './output';
import { parseCount } from './counts';

/** Options of the difftest command, as commander parses them. */
export interface DifftestOptions {
  elf: string;
  root?: string;
  cwd?: string;
  env?: string[];
  stdin?: string;
  seed?: string;
  profile?: string;
  profileFile?: string;
  stepWindow?: string;
  maxInstructions?: string;
  json?: boolean;
  quiet?: boolean;
  itStateFix?: boolean;
}

/** Run the comparison; exit code 0 when both agree, 1 when they differ. */
export async function difftestCommand(args: string[], opts: DifftestOptions): Promise<number> {
  const elf = path.resolve(opts.elf);
  if (!fs.existsSync(elf) || !fs.statSync(elf).isFile()) throw new ImageError(`--elf ${opts.elf}: not a file`);
  let root: string | undefined;
  if (opts.root) {
    root = path.resolve(opts.root);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`--root ${opts.root}: not a folder`);
  }
  const cwd = opts.cwd ?? '/';
  if (!cwd.startsWith('/')) throw new UsageError(`--cwd ${cwd}: must be an absolute guest path`);
  if (!root && cwd !== '/') throw new UsageError('--cwd needs --root (the reference runs in that folder)');
  const env: string[] = [];
  for (const kv of opts.env ?? []) {
    if (!/^[^=]+=/.test(kv)) throw new UsageError(`--env ${kv}: expected NAME=value`);
    env.push(kv);
  }
  if (opts.stdin && !fs.existsSync(opts.stdin)) throw new UsageError(`--stdin ${opts.stdin}: no such file`);
  const target: DiffTarget = {
    elfPath: elf,
    root,
    argv: [path.basename(elf), ...args],
    env,
    cwd,
    stdinPath: opts.stdin,
    profile: findProfile(opts.profile ?? DEFAULT_PROFILE, opts.profileFile),
    seed: opts.seed !== undefined ? Number(parseCount(opts.seed, '--seed')) : 1,
    engine: opts.itStateFix === false ? { itStateWorkaround: false } : undefined,
  };
  const stepWindow = opts.stepWindow ? Number(parseCount(opts.stepWindow, '--step-window')) : undefined;
  const progress = opts.quiet || opts.json ? undefined : (line: string) => process.stderr.write(`difftest: ${line}\n`);
  const maxInstructions = opts.maxInstructions ? parseCount(opts.maxInstructions, '--max-instructions') : undefined;
  const result = await difftest(target, { stepWindow, progress, maxInstructions });
  const m = buildMachine(target);
  try {
    const report = await buildReport(result, m.space);
    if (opts.json) printJson(report);
    else process.stdout.write(formatReport(report));
    return report.same ? 0 : 1;
  } finally {
    m.close();
  }
}
