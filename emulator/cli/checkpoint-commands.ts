/** `clonecloud checkpoints | restore | diff | verify | prune`: working with a checkpoint store. */
import { diffCheckpoints, CheckpointDiff } from '../snapshot/diff';
import { resolveCheckpointId } from '../snapshot/checkpoint-id';
import { checkManifest } from '../snapshot/manifest';
import { initHashing } from '../snapshot/page-hash';
import { restoreCheckpoint } from '../snapshot/restore';
import { loadCheckpoint } from '../snapshot/source';
import { CheckpointStore } from '../store/store';
import { VerifyReport } from '../store/store-verify';
import { findProfile } from '../model/profiles';
import { formatSeconds } from '../model/run-summary';
import { displayName } from '../vfs/path';
import { probeStore } from '../store/store-probe';
import { printJson, table, writeFully } from './output';
import { RunOptions, runToEnd } from './run-to-end';
import { guestStdin } from './stdin';

/** The store named by --store, which must exist (records are sealed with hashes: load hashing first). */
async function existingStore(dir: string | undefined, readOnly = false): Promise<CheckpointStore> {
  await initHashing();
  probeStore(dir ?? '.');
  return CheckpointStore.open(dir ?? '.', { create: false, readOnly });
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(2)} MiB`;
}

/** One row of `clonecloud checkpoints`. */
export interface CheckpointRow {
  id: string;
  parent: string | null;
  parentPresent: boolean;
  image: string;
  profile: string;
  instructions: number;
  modelledSeconds: number;
  residentPages: number;
  residentBytes: number;
  newPages: number;
  newBytes: number;
  dedupHits: number;
  created: string;
}

/** List the checkpoints of a store. */
export async function checkpointsCommand(opts: { store?: string; json?: boolean }): Promise<number> {
  const store = await existingStore(opts.store, true);
  try {
    const ids = store.ids();
    const rows: CheckpointRow[] = ids.map((id) => {
      const m = checkManifest(store.manifest(id), id);
      return {
        id,
        parent: m.parent,
        parentPresent: m.parent !== null && ids.includes(m.parent),
        image: m.boot.name,
        profile: m.boot.profile.id,
        instructions: Number(m.state.instructions),
        modelledSeconds: m.modelledSeconds,
        residentPages: m.stats.residentPages,
        residentBytes: m.stats.residentPages * 4096,
        newPages: m.stats.newPages,
        newBytes: m.stats.newBytes,
        dedupHits: m.stats.dedupHits,
        created: m.created,
      };
    });
    const stats = store.stats();
    if (opts.json) {
      printJson({ checkpoints: rows, store: stats });
      return 0;
    }
    process.stdout.write(
      table(
        ['id', 'parent', 'image', 'instructions', 'modelled', 'resident', 'new pages', 'new bytes', 'dedup'],
        rows.map((r) => [
          r.id,
          r.parent === null ? '-' : r.parentPresent ? r.parent : `${r.parent} (pruned)`,
          r.image,
          r.instructions.toLocaleString('en-US'),
          formatSeconds(r.modelledSeconds),
          mib(r.residentBytes),
          String(r.newPages),
          mib(r.newBytes),
          // Share of this checkpoint's changed pages that the store already held.
          r.newPages + r.dedupHits ? `${((100 * r.dedupHits) / (r.newPages + r.dedupHits)).toFixed(0)}%` : '-',
        ]),
      ),
    );
    const logical = rows.reduce((n, r) => n + r.residentBytes, 0);
    process.stdout.write(
      `${rows.length} checkpoints; ${stats.pages} distinct pages stored (${mib(stats.pageBytes)}) for ${mib(logical)} of checkpointed memory; ${mib(stats.diskBytes)} on disk\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

/** Options of `restore`. */
export interface RestoreCommandOptions extends RunOptions {
  profile?: string;
  profileFile?: string;
  stdin?: string;
}

/** Resume a checkpoint and run it to the end (optionally checkpointing on into the same store). */
export async function restoreCommand(given: string, opts: RestoreCommandOptions): Promise<number> {
  // Restoring only reads; checkpointing on opens the store for writing separately.
  const store = await existingStore(opts.store, true);
  let restored;
  let id: string;
  try {
    id = resolveCheckpointId(store.ids(), given);
    restored = restoreCheckpoint(store, id, {
      profile: opts.profile ? findProfile(opts.profile, opts.profileFile) : undefined,
      stdin: guestStdin(opts.stdin),
      stdout: (b) => writeFully(1, b),
      stderr: (b) => writeFully(2, b),
      warn: (msg) => process.stderr.write(`clonecloud: ${msg}\n`),
    });
  } finally {
    store.close();
  }
  // The store is where the checkpoint came from; it receives new checkpoints only when asked.
  const checkpointing = opts.checkpointEvery !== undefined || opts.checkpointAt !== undefined;
  return runToEnd(restored.machine, { ...opts, store: checkpointing ? opts.store : undefined }, id);
}

/** Show what changed between two checkpoints. */
export async function diffCommand(a: string, b: string, opts: { store?: string; json?: boolean }): Promise<number> {
  const store = await existingStore(opts.store, true);
  let d: CheckpointDiff;
  try {
    const ids = store.ids();
    const from = loadCheckpoint(store, resolveCheckpointId(ids, a));
    const to = loadCheckpoint(store, resolveCheckpointId(ids, b));
    d = diffCheckpoints(from.manifest, from.table, to.manifest, to.table);
  } finally {
    store.close();
  }
  if (opts.json) {
    printJson(d);
    return 0;
  }
  const out: string[] = [];
  out.push(
    `${d.from} -> ${d.to}: ${d.instructions.toLocaleString('en-US')} instructions, ${formatSeconds(Math.abs(d.modelledSeconds))} of modelled time${d.modelledSeconds < 0 ? ' (backwards)' : ''}`,
  );
  out.push('');
  out.push(
    table(
      ['region', 'added', 'changed', 'removed', 'bytes'],
      [
        ...d.regions.map((r) => [r.kind, String(r.added), String(r.changed), String(r.removed), mib(r.bytes)]),
        ['total', String(d.totals.added), String(d.totals.changed), String(d.totals.removed), mib(d.totals.bytes)],
      ],
    ).trimEnd(),
  );
  out.push('');
  out.push(d.registers.length ? `registers changed: ${d.registers.map((r) => `${r.name} ${r.from} -> ${r.to}`).join(', ')}` : 'registers: unchanged');
  out.push(d.files.length ? `files changed: ${d.files.map((f) => `${displayName(f.path)} (${f.change})`).join(', ')}` : 'files: unchanged');
  if (d.processes.length > 1 || d.processes.some((p) => p.change !== 'changed' && p.change !== 'unchanged')) {
    out.push('');
    out.push(
      table(
        ['pid', 'change', 'threads', 'pages added', 'changed', 'removed', 'threads with new registers'],
        d.processes.map((p) => [
          String(p.pid),
          p.change,
          `${p.threads[0]} -> ${p.threads[1]}`,
          String(p.pages.added),
          String(p.pages.changed),
          String(p.pages.removed),
          String(p.threadsWithNewRegisters),
        ]),
      ).trimEnd(),
    );
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/** Re-hash everything in the store; exit code 1 when anything is damaged. */
export async function verifyCommand(opts: { store?: string; json?: boolean }): Promise<number> {
  const store = await existingStore(opts.store, true);
  try {
    const tty = process.stderr.isTTY;
    const report = store.verify((done, total) => {
      if (tty && (done % 4096 === 0 || done === total)) process.stderr.write(`\rverifying ${done}/${total} pages`);
    });
    if (tty) process.stderr.write('\n');
    if (opts.json) printJson(report);
    else process.stdout.write(formatVerify(report));
    return report.ok ? 0 : 1;
  } finally {
    store.close();
  }
}

/** Delete checkpoints and reclaim the pages no other checkpoint uses. */
export async function pruneCommand(ids: string[], opts: { store?: string; json?: boolean }): Promise<number> {
  const store = await existingStore(opts.store);
  try {
    const known = store.ids();
    const r = store.prune(ids.map((id) => resolveCheckpointId(known, id)));
    if (opts.json) printJson(r);
    else process.stdout.write(`pruned ${r.checkpointsRemoved} checkpoint(s); freed ${r.pagesFreed} pages (${mib(r.bytesFreed)})\n`);
    return 0;
  } finally {
    store.close();
  }
}

function formatVerify(r: VerifyReport): string {
  const checked = `${r.pagesChecked} pages and ${r.checkpointsChecked} checkpoints checked`;
  if (r.ok) return `store is intact: ${checked}\n`;
  const lines = [`DAMAGE: ${r.damagedPages.length} page(s) and ${r.damagedRecords.length} record(s) damaged or missing; ${checked}`];
  for (const d of r.damagedPages) {
    const refs = d.referencedBy.map((ref) => (ref.page !== undefined ? `${ref.checkpoint} page 0x${ref.page.toString(16)}` : `${ref.checkpoint} (file block)`));
    lines.push(`  page ${d.hash}: ${d.problem}; used by ${refs.join(', ') || 'no checkpoint'}`);
  }
  for (const d of r.damagedRecords) lines.push(`  checkpoint ${d.checkpoint}: ${d.problem}`);
  if (r.countersMismatch) lines.push(`  ${r.countersMismatch}`);
  return lines.join('\n') + '\n';
}
