/**
 * Real-program speed: Debian's own armhf programs — the static busybox (an awk loop, sha256sum,
 * bzip2) and the dynamically linked Lua 5.4 and Python 3.11 of the test root running their
 * benchmark scripts — under clonecloud with the native hooks on and off and under qemu-arm,
 * interleaved round by round so that machine noise hits all three alike. Each run's output must
 * equal qemu-arm's, or the figures would compare different work.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootProgram, BootSpec } from '../../emulator/machine/boot-spec';
import { Machine } from '../../emulator/machine/machine';
import { findProfile } from '../../emulator/model/profiles';
import { EngineOptions } from '../../emulator/unicorn/engine';
import { median, SpeedRow } from './boot-speed';

/** One workload: a program, its arguments, and the folder it works in. */
export interface Workload {
  /** Short name (--only-workload, the profile runner). */
  key: string;
  label: string;
  /** Host path of the program. */
  program: string;
  /** Its path in the guest (and argv[0]'s base name). */
  guestPath: string;
  args: string[];
  /** A root of libraries for a dynamically linked program (qemu-arm -L; the guest's /). */
  root?: string;
}

/** Figures of one workload. */
export interface RealSpeedResult {
  label: string;
  instructions: number;
  /** Translated blocks the guest entered: instructions / blocks is the mean block length. */
  blocks: number;
  /** What the block hook and dirty tracking cost per block entered: (hooks on - hooks off) / blocks. */
  hooksNsPerBlock: number;
  /** `clonecloud boot --elf` as a whole process (Node.js start included), hooks on, median. */
  wholeProcessSeconds: number;
  /** qemu-arm's whole-process time over clonecloud's. */
  wholeProcessSpeedVsQemu: number;
  rows: SpeedRow[];
  hooksOverhead: number;
  speedVsQemu: number;
}

/** Options: how many rounds, and the awk loop's length. */
export interface RealSpeedOptions {
  repeats: number;
  awkIterations: number;
  shaMb: number;
}

const ENV: Record<string, string> = { HOME: '/', PATH: '/usr/bin:/bin', LANG: 'C', TZ: 'UTC0' };

/** Where a workload runs: its work folder is the guest's cwd (/ for a static program, /work beside a root). */
function bootSpec(w: Workload, work: string, bytes: Uint8Array): BootSpec {
  const name = path.basename(w.guestPath);
  return {
    name,
    program: bootProgram(w.guestPath, bytes, w.program),
    argv: [name, ...w.args],
    env: Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
    cwd: w.root ? '/work' : '/',
    profile: findProfile('htc-g1'),
    rootfs: w.root
      ? [
          { type: 'host', source: w.root, target: '/' },
          { type: 'host', source: work, target: '/work' },
        ]
      : [{ type: 'host', source: work, target: '/' }],
    rootfsBase: work,
    seed: 1,
  };
}

/** Run `w` in this process with the given hooks; the guest is timed from its boot. */
export function runClone(w: Workload, work: string, engine: EngineOptions): { seconds: number; instructions: number; blocks: number; out: Buffer } {
  const bytes = new Uint8Array(fs.readFileSync(w.program));
  const chunks: Buffer[] = [];
  const t0 = process.hrtime.bigint();
  const m = new Machine(bootSpec(w, work, bytes), {
    elf: bytes,
    stdin: new Uint8Array(0),
    stdout: (b) => chunks.push(Buffer.from(b)),
    stderr: () => undefined,
    warn: () => undefined,
    engine,
  });
  m.run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const instructions = Number(m.instructions);
  const blocks = Number(m.engine.counters.blocks);
  m.close();
  return { seconds, instructions, blocks, out: Buffer.concat(chunks) };
}

/** `clonecloud boot --elf` of `w` as its own process, as a user runs it: whole wall time and stdout. */
function runCloneProcess(root: string, w: Workload, work: string): { seconds: number; out: Buffer } {
  const argv = [path.join(root, 'bin', 'clonecloud'), 'boot', '--elf', w.program, '--stdin', '/dev/null', '--seed', '1'];
  argv.push(...Object.entries(ENV).flatMap(([k, v]) => ['--env', `${k}=${v}`]));
  // The same guest tree as the in-process runs (static programs only): the work folder as /.
  argv.push('--root', work, '--', ...w.args);
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { cwd: work, maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`clonecloud boot ${w.label} failed: ${r.error?.message ?? r.stderr.toString()}`);
  return { seconds, out: r.stdout };
}

function runQemu(w: Workload, work: string): { seconds: number; out: Buffer } {
  const argv = [...(w.root ? ['-L', w.root] : []), '-0', path.basename(w.guestPath), w.program, ...w.args];
  // qemu-user reverses the environment's order: hand it over reversed to keep the given one.
  const env = Object.fromEntries(Object.entries(ENV).reverse());
  const t0 = process.hrtime.bigint();
  const r = spawnSync('qemu-arm', argv, { cwd: work, env, input: '', maxBuffer: 256 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.error || r.status !== 0) throw new Error(`qemu-arm ${w.label} failed: ${r.error?.message ?? r.stderr.toString()}`);
  return { seconds, out: r.stdout };
}

/** The workloads, their input files laid out in `work`. */
export function workloads(root: string, work: string, o: RealSpeedOptions): Workload[] {
  const busybox = path.join(root, 'vendor', 'debian', 'root', 'bin', 'busybox');
  const debianRoot = path.join(root, 'vendor', 'rootfs');
  for (const p of [busybox, path.join(debianRoot, 'usr', 'bin', 'lua5.4')]) {
    if (!fs.existsSync(p)) throw new Error(`${p} is missing: run 'bash scripts/setup.sh'`);
  }
  const line = 'The quick brown fox jumps over the lazy dog 0123456789\n';
  fs.writeFileSync(path.join(work, 'text.txt'), line.repeat(Math.ceil((o.shaMb * 2 ** 20) / line.length)));
  fs.copyFileSync(busybox, path.join(work, 'busybox.bin'));
  const scripts = path.join(root, 'spec', 'realprog', 'dynamic');
  for (const f of ['bench.lua', 'bench.py']) fs.copyFileSync(path.join(scripts, f), path.join(work, f));
  const bb = (key: string, label: string, ...args: string[]): Workload => ({ key, label, program: busybox, guestPath: '/bin/busybox', args });
  return [
    bb('awk', `busybox awk loop (${o.awkIterations.toLocaleString('en-US')} iterations)`, 'awk', `BEGIN{s=0;for(i=0;i<${o.awkIterations};i++)s+=i%7;print(s)}`),
    bb('sha256sum', `busybox sha256sum (${o.shaMb} MB of text)`, 'sha256sum', 'text.txt'),
    bb('bzip2', 'busybox bzip2 of the busybox binary', 'bzip2', '-c', 'busybox.bin'),
    {
      key: 'lua',
      label: 'Lua 5.4 benchmark (dynamically linked)',
      program: path.join(debianRoot, 'usr', 'bin', 'lua5.4'),
      guestPath: '/usr/bin/lua5.4',
      args: ['bench.lua', '20000'],
      root: debianRoot,
    },
    {
      key: 'python',
      label: 'Python 3.11 benchmark (dynamically linked)',
      program: path.join(debianRoot, 'usr', 'bin', 'python3.11'),
      guestPath: '/usr/bin/python3.11',
      args: ['bench.py', '3000'],
      root: debianRoot,
    },
  ];
}

/** Run every workload `repeats` times per configuration, interleaved. */
export function realSpeed(root: string, o: RealSpeedOptions, progress: (msg: string) => void): RealSpeedResult[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-real-'));
  try {
    return workloads(root, work, o).map((w) => {
      const on: number[] = [];
      const off: number[] = [];
      const qemu: number[] = [];
      const whole: number[] = [];
      let instructions = 0;
      let blocks = 0;
      for (let i = 0; i < o.repeats; i++) {
        progress(`real programs: ${w.label}: round ${i + 1}/${o.repeats}`);
        // qemu first: forking is refused once several 4 GiB guest address spaces await collection.
        const q = runQemu(w, work);
        qemu.push(q.seconds);
        if (!w.root) {
          const p = runCloneProcess(root, w, work);
          whole.push(p.seconds);
          if (!p.out.equals(q.out)) throw new Error(`${w.label}: clonecloud boot's output differs from qemu-arm's`);
        }
        const a = runClone(w, work, {});
        on.push(a.seconds);
        instructions = a.instructions;
        blocks = a.blocks;
        const b = runClone(w, work, { countInstructions: false, trackDirty: false });
        off.push(b.seconds);
        if (!a.out.equals(q.out) || !b.out.equals(q.out))
          throw new Error(`${w.label}: clonecloud's output differs from qemu-arm's: the benchmark would compare different work`);
        (globalThis as { gc?: () => void }).gc?.();
      }
      const row = (config: string, runs: number[]): SpeedRow => ({ config, medianSeconds: median(runs), mips: instructions / median(runs) / 1e6, runs });
      const rows = [row('clonecloud, counting + dirty tracking on', on), row('clonecloud, hooks off', off), row('qemu-arm 7.2 (same program)', qemu)];
      if (whole.length) rows.push(row('clonecloud boot --elf, whole process', whole));
      return {
        label: w.label,
        instructions,
        blocks,
        hooksNsPerBlock: ((median(on) - median(off)) * 1e9) / blocks,
        wholeProcessSeconds: whole.length ? median(whole) : NaN,
        wholeProcessSpeedVsQemu: whole.length ? median(qemu) / median(whole) : NaN,
        rows,
        hooksOverhead: median(on) / median(off),
        speedVsQemu: median(qemu) / median(on),
      };
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The human report: one block per workload, then a summary line of speeds. */
export function describeRealSpeed(results: RealSpeedResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    const perBlock = r.instructions / r.blocks;
    out.push(
      `Real program: ${r.label} (${r.instructions.toLocaleString('en-US')} guest instructions in ${r.blocks.toLocaleString('en-US')} blocks, ${perBlock.toFixed(1)} per block), median of ${r.rows[0].runs.length}`,
    );
    for (const row of r.rows) out.push(`  ${row.config.padEnd(42)} ${row.medianSeconds.toFixed(3)} s  ${row.mips.toFixed(0).padStart(6)} MIPS`);
    out.push(`  hooks on / hooks off wall time: ${r.hooksOverhead.toFixed(3)}x (${r.hooksNsPerBlock.toFixed(1)} ns per block entered)`);
    out.push(`  speed relative to qemu-arm (qemu time / clonecloud time, hooks on): ${r.speedVsQemu.toFixed(3)}x (target >= 0.5x)`);
    if (!Number.isNaN(r.wholeProcessSeconds))
      out.push(
        `  whole process, clonecloud boot --elf vs qemu-arm: ${r.wholeProcessSpeedVsQemu.toFixed(3)}x (${r.wholeProcessSeconds.toFixed(3)} s, Node.js start included)`,
      );
  }
  return out.join('\n') + '\n';
}
