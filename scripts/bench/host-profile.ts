/**
 * Where the host's time goes on the real-program workloads: each runs once with the hooks on and
 * once with them off under `perf record` (cpu-clock sampling; no hardware counters are needed),
 * and perf's per-symbol self time is grouped into the parts of the engine a guest instruction
 * passes through. Needs `perf` (Debian: linux-perf); the section says so and is skipped without it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The parts host time is grouped into. */
export const PARTS = [
  'translated guest code',
  'exit-request helper (after every load/store, at every block start)',
  'block lookup (indirect and cross-page jumps)',
  'block hook (instruction counting)',
  'TLB fills and slow memory paths',
  'translation',
  'other engine helpers (VFP, NEON, flags)',
  'Node.js: kernel model, syscalls, start-up',
  'host kernel',
  'other',
] as const;
export type Part = (typeof PARTS)[number];

const LOOKUP = /^(helper_lookup_tb_ptr|cpu_get_tb_cpu_state|tb_htable_lookup|qht_lookup|tb_lookup_cmp|tb_find|cpu_exec|cpu_tb_exec|tb_jmp|tb_add_jump)/;
const TLB =
  /^(tlb_|victim_tlb_hit|unicorn_fill_tlb|arm_cpu_tlb_fill|cpu_restore_state|get_page_addr_code|address_space_|flatview_|probe_access|notdirty|memory_region_|qemu_ram_|load_helper|store_helper|helper_(le|be|ret)_(ld|st)|io_(read|write)x|cpu_ld|cpu_st)/;
const TRANSLATION =
  /^(tcg_|liveness_pass|tb_gen_code|disas_|translator_|gen_|arm_tr_|reachable_code_pass|la_|tb_link_page|tb_alloc|tb_page_|page_collection|do_tb_flush|tb_invalidate|tb_phys_invalidate|tb_flush|temp_|reg_alloc|tcg_out|insn_start|thumb_tr_|trans_|op_|arm_gen_|vfp_|neon_.*_tr)/;

/** The part a sample in `symbol` of `dso` belongs to. */
export function partOf(dso: string, symbol: string): Part {
  const sym = symbol.replace(/_(arm|aarch64)$/, '');
  if (dso.startsWith('[kernel')) return 'host kernel';
  // Unicorn's code buffer is anonymous memory perf has no names for; Node's own JIT code is named (--perf-basic-prof).
  if (dso.startsWith('[JIT]')) return /^0x[0-9a-f]+$/i.test(sym) ? 'translated guest code' : 'Node.js: kernel model, syscalls, start-up';
  if (dso === 'cchooks.so') {
    if (sym === 'on_block' || sym === 'count_insns') return 'block hook (instruction counting)';
    if (sym === 'on_tlb_fill') return 'TLB fills and slow memory paths';
    return 'other';
  }
  if (dso.startsWith('libunicorn')) {
    if (sym === 'helper_check_exit_request') return 'exit-request helper (after every load/store, at every block start)';
    if (sym === 'helper_uc_tracecode') return 'block hook (instruction counting)';
    if (LOOKUP.test(sym)) return 'block lookup (indirect and cross-page jumps)';
    if (TLB.test(sym)) return 'TLB fills and slow memory paths';
    if (TRANSLATION.test(sym)) return 'translation';
    return 'other engine helpers (VFP, NEON, flags)';
  }
  if (/^(node|libnode|koffi|libc\.|libstdc\+\+|ld-linux|libm\.|libgcc|libuv|lmdb|\[vdso\])/.test(dso) || dso.endsWith('.node')) {
    return 'Node.js: kernel model, syscalls, start-up';
  }
  return 'other';
}

/** Shares of host time by part, from `perf report --stdio -t '|'` output (percent, summing to about 100). */
export function sharesFromReport(report: string): Map<Part, number> {
  const shares = new Map<Part, number>(PARTS.map((p) => [p, 0]));
  for (const line of report.split('\n')) {
    const m = /^\s*([\d.]+)%\s*\|([^|]*)\|\[[.k]\]\s+(.*)$/.exec(line);
    if (!m) continue;
    const part = partOf(m[2].trim(), m[3].trim());
    shares.set(part, (shares.get(part) ?? 0) + Number(m[1]));
  }
  return shares;
}

/** One workload's profile with the hooks on and off. */
export interface HostProfile {
  key: string;
  instructions: number;
  blocks: number;
  on: { seconds: number; shares: Record<string, number> };
  off: { seconds: number; shares: Record<string, number> };
}

/** True when `perf` can sample this process tree here. */
export function perfAvailable(): boolean {
  const r = spawnSync('perf', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

function profileOnce(
  root: string,
  key: string,
  mode: 'on' | 'off',
  work: string,
  env: NodeJS.ProcessEnv,
): { seconds: number; instructions: number; blocks: number; shares: Record<string, number> } {
  const data = path.join(work, `perf-${key}-${mode}.data`);
  const runner = path.join(root, 'dist', 'scripts', 'bench', 'real-run.js');
  const rec = spawnSync(
    'perf',
    ['record', '-q', '-e', 'cpu-clock', '-F', '1999', '-o', data, '--', process.execPath, '--perf-basic-prof', runner, key, mode, work],
    {
      encoding: 'utf8',
      env,
      maxBuffer: 64 << 20,
    },
  );
  if (rec.error || rec.status !== 0) throw new Error(`perf record of ${key} (hooks ${mode}) failed: ${rec.error?.message ?? rec.stderr}`);
  const figures = JSON.parse(rec.stderr.trim().split('\n').pop() ?? '{}') as { seconds: number; instructions: number; blocks: number };
  const rep = spawnSync('perf', ['report', '-i', data, '--no-children', '--sort', 'dso,sym', '-g', 'none', '--stdio', '-t', '|'], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (rep.error || rep.status !== 0) throw new Error(`perf report of ${key} failed: ${rep.error?.message ?? rep.stderr}`);
  fs.rmSync(data, { force: true });
  return { ...figures, shares: Object.fromEntries(sharesFromReport(rep.stdout)) };
}

/** Profile the busybox workloads (hooks on, then off), in a scratch folder. */
export function hostProfiles(root: string, keys: string[], sizes: { awkIterations: number; shaMb: number }, progress: (msg: string) => void): HostProfile[] {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-bench-perf-'));
  const env = { ...process.env, AWK_ITERATIONS: String(sizes.awkIterations), SHA_MB: String(sizes.shaMb) };
  try {
    return keys.map((key) => {
      progress(`host profile: ${key}`);
      const on = profileOnce(root, key, 'on', work, env);
      const off = profileOnce(root, key, 'off', work, env);
      return {
        key,
        instructions: on.instructions,
        blocks: on.blocks,
        on: { seconds: on.seconds, shares: on.shares },
        off: { seconds: off.seconds, shares: off.shares },
      };
    });
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The breakdown as a table: each part's share and its time per guest block, hooks on and off. */
export function describeHostProfiles(profiles: HostProfile[]): string {
  const out: string[] = [];
  for (const p of profiles) {
    const perBlock = p.instructions / p.blocks;
    out.push(
      `Host profile: ${p.key} (${perBlock.toFixed(1)} instructions per block; perf cpu-clock; hooks on ${p.on.seconds.toFixed(2)} s, off ${p.off.seconds.toFixed(2)} s)`,
    );
    out.push(`  ${'part'.padEnd(70)} ${'hooks on'.padStart(9)} ${'ns/block'.padStart(9)} ${'hooks off'.padStart(10)} ${'ns/block'.padStart(9)}`);
    for (const part of PARTS) {
      const on = p.on.shares[part] ?? 0;
      const off = p.off.shares[part] ?? 0;
      if (on < 0.05 && off < 0.05) continue;
      const ns = (share: number, seconds: number) => ((share / 100) * seconds * 1e9) / p.blocks;
      out.push(
        `  ${part.padEnd(70)} ${`${on.toFixed(1)} %`.padStart(9)} ${ns(on, p.on.seconds).toFixed(2).padStart(9)} ${`${off.toFixed(1)} %`.padStart(10)} ${ns(off, p.off.seconds).toFixed(2).padStart(9)}`,
      );
    }
  }
  return out.join('\n') + '\n';
}
