/**
 * `npm run bench`: performance figures, each measured side by side in one run. Heavy work lives
 * here rather than in the test suite. Options: --repeats N (default 5), --rounds N (mixed
 * compute workload size, default 6), --passes N (store-heavy workload size, default 400),
 * --ckpt-mb N (memory the checkpoint guest fills, default 192), --ckpt-runs N (checkpoint runs,
 * default 3), --sync-mb N (memory the sync guest fills, default 192), --sync-runs N (sync runs,
 * default 3), --sync-rounds N (compute rounds of the policy comparison, default 16),
 * --real-repeats N (rounds of the real-program section, default 3), --awk-iterations N (default
 * 2000000), --sha-mb N (default 32), --profile-awk-iterations N and --profile-sha-mb N (the
 * host-profile section's sizes, default 300000 and 8), --only boot|checkpoint|sync|real|profile
 * (one section), --json.
 */
import * as path from 'path';
import { initHashing } from '../emulator/snapshot/page-hash';
import { bootSpeed, BootSpeedResult } from './bench/boot-speed';
import { checkpointSpeed, CheckpointSpeedResult, describeCheckpointSpeed } from './bench/checkpoint-speed';
import { describeSyncSpeed, syncSpeed, SyncSpeedResult } from './bench/sync-speed';
import { describeRealSpeed, realSpeed, RealSpeedResult } from './bench/real-speed';
import { describeHostProfiles, HostProfile, hostProfiles, perfAvailable } from './bench/host-profile';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`bench: ${name} needs a positive whole number\n`);
    process.exit(2);
  }
  return v;
}

/** The sections to run: all unless --only names one. */
function sections(): { boot: boolean; checkpoint: boolean; sync: boolean; real: boolean; profile: boolean } {
  const i = process.argv.indexOf('--only');
  if (i < 0) return { boot: true, checkpoint: true, sync: true, real: true, profile: true };
  const which = process.argv[i + 1];
  if (which !== 'boot' && which !== 'checkpoint' && which !== 'sync' && which !== 'real' && which !== 'profile') {
    process.stderr.write('bench: --only takes boot, checkpoint, sync, real or profile\n');
    process.exit(2);
  }
  return { boot: which === 'boot', checkpoint: which === 'checkpoint', sync: which === 'sync', real: which === 'real', profile: which === 'profile' };
}

function runBootSpeed(root: string, progress: (msg: string) => void): (BootSpeedResult & { label: string })[] {
  const repeats = option('--repeats', 5);
  const workloads: [string, string[]][] = [
    ['mixed (matrix multiply, sieve, shuffle)', [String(option('--rounds', 6))]],
    ['store-heavy (sequential word stores)', ['stores', String(option('--passes', 400))]],
  ];
  const results = workloads.map(([label, args]) => ({ label, ...bootSpeed(root, repeats, args, progress) }));
  process.stderr.write('\n');
  return results;
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const json = process.argv.includes('--json');
  const progress = (msg: string) => process.stderr.write(`\r${msg}`.padEnd(60) + (msg.endsWith('done') ? '\n' : ''));
  const run = sections();
  await initHashing();
  const boot = run.boot ? runBootSpeed(root, progress) : undefined;
  let checkpoint: CheckpointSpeedResult | undefined;
  if (run.checkpoint) checkpoint = await checkpointSpeed(root, option('--ckpt-mb', 192), option('--ckpt-runs', 3), progress);
  let sync: SyncSpeedResult | undefined;
  if (run.sync) sync = await syncSpeed(root, option('--sync-mb', 192), option('--sync-runs', 3), option('--sync-rounds', 16), progress);
  let real: RealSpeedResult[] | undefined;
  if (run.real) {
    real = realSpeed(
      root,
      { repeats: option('--real-repeats', 3), awkIterations: option('--awk-iterations', 2_000_000), shaMb: option('--sha-mb', 32) },
      progress,
    );
    process.stderr.write('\n');
  }
  let profiles: HostProfile[] | undefined;
  let profileNote = '';
  if (run.profile) {
    if (perfAvailable()) {
      const sizes = { awkIterations: option('--profile-awk-iterations', 300_000), shaMb: option('--profile-sha-mb', 8) };
      profiles = hostProfiles(root, ['awk', 'sha256sum', 'bzip2', 'lua'], sizes, progress);
      process.stderr.write('\n');
    } else {
      profileNote = 'Host profile: skipped, perf is not installed (Debian: apt-get install linux-perf)\n';
    }
  }
  if (json) {
    const bigints = (_: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
    process.stdout.write(
      JSON.stringify({ bootSpeed: boot, checkpointSpeed: checkpoint, syncSpeed: sync, realSpeed: real, hostProfiles: profiles }, bigints, 2) + '\n',
    );
    return;
  }
  const reports: string[] = [];
  if (boot) reports.push(boot.map((r) => describe(r.label, r)).join('\n'));
  if (checkpoint) reports.push(describeCheckpointSpeed(checkpoint));
  if (sync) reports.push(describeSyncSpeed(sync));
  if (real) reports.push(describeRealSpeed(real));
  if (profiles) reports.push(describeHostProfiles(profiles));
  if (profileNote) reports.push(profileNote);
  process.stdout.write(reports.join('\n'));
}

function describe(label: string, speed: BootSpeedResult): string {
  const out: string[] = [];
  out.push(
    `Boot speed, ${label}: ${speed.elf} ${speed.args.join(' ')} (${speed.instructions.toLocaleString('en-US')} guest instructions), median of ${speed.rows[0].runs.length}`,
  );
  for (const r of speed.rows) {
    out.push(`  ${r.config.padEnd(42)} ${r.medianSeconds.toFixed(3)} s  ${r.mips.toFixed(0).padStart(6)} MIPS`);
  }
  out.push(`  hooks on / hooks off wall time: ${speed.hooksOverhead.toFixed(3)}x`);
  out.push(`  speed relative to qemu-arm (qemu time / clonecloud time, hooks on): ${speed.speedVsQemu.toFixed(3)}x (target >= 0.5x)`);
  return out.join('\n') + '\n';
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
