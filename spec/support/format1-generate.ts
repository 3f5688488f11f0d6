/**
 * Makes spec/fixtures/format1-store.json: boots spec/fixtures/format1.S with checkpoints into a
 * fresh store through the CLI, restores each checkpoint to the end, and dumps every LMDB record
 * with what each restore printed. It was run once with the release that wrote checkpoint format 1;
 * running it again with a later release would record that release's format instead, so the
 * committed fixture is not to be regenerated.
 *
 *   node dist/spec/support/format1-generate.js
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { dumpStore, Format1Fixture, FORMAT1_FIXTURE, RecordedRestore } from './format1-store';
import { assemble, tempDir } from './toolchain';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');
/** Three checkpoints, in each of the program's three counting phases. */
const EVERY = '9000';

function cli(args: string[]): RecordedRestore {
  const r = spawnSync(process.execPath, [BIN, ...args, '--stdin', '/dev/null', '--json'], { cwd: ROOT, encoding: 'utf8' });
  const lines = r.stderr.trimEnd().split('\n');
  const summary = JSON.parse(lines.pop()!) as { instructions: number; memoryHash: string };
  return { stdout: r.stdout, stderr: lines.join('\n'), status: r.status ?? -1, instructions: summary.instructions, memoryHash: summary.memoryHash };
}

function main(): void {
  const work = tempDir('cc-format1-');
  const elf = path.join(work, 'format1');
  fs.copyFileSync(assemble('format1'), elf);
  const store = path.join(work, 'store');
  const run = cli(['boot', '--elf', elf, '--store', store, '--checkpoint-every', EVERY]);
  const databases = dumpStore(store);
  const ids = databases.order.map((r) => Buffer.from(r.value, 'base64').toString('utf8'));
  const restores: Record<string, RecordedRestore> = {};
  for (const id of ids) restores[id] = cli(['restore', id, '--store', store]);
  const fixture: Format1Fixture = {
    made: `clonecloud boot --elf format1 --store DIR --checkpoint-every ${EVERY} (spec/fixtures/format1.S), with checkpoint format 1; restores by clonecloud restore <id>`,
    run,
    databases,
    restores,
  };
  fs.writeFileSync(FORMAT1_FIXTURE, JSON.stringify(fixture, null, 1) + '\n');
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`${FORMAT1_FIXTURE}: ${ids.length} checkpoints, ${fs.statSync(FORMAT1_FIXTURE).size} bytes`);
}

main();
