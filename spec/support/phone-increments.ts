/** A phone run recorded as the increments a Replicator would send its clone. */
import { strict as assert } from 'assert';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { MemorySnapshots } from '../../emulator/snapshot/memory-snapshots';
import { PutPage, SnapshotRecord } from '../../emulator/snapshot/sink';
import { bootImage, collect } from './images';

/** An increment as the phone would send it, with the phone's memory hash at that point. */
export interface PhoneIncrement {
  record: SnapshotRecord;
  pages: PutPage[];
  phoneHash: string;
}

/** A sink that keeps what capture commits. */
class Recorder extends MemorySnapshots {
  readonly sent: { record: SnapshotRecord; pages: PutPage[] }[] = [];
  override commit(record: SnapshotRecord, pages: PutPage[]): void {
    super.commit(record, pages);
    this.sent.push({ record, pages: pages.map(([h, b]) => [h.slice(), b.slice()]) });
  }
}

/** Run images/`image` capturing at `points` (instruction counts); the increments in order. */
export function recordIncrements(image: string, points: bigint[]): PhoneIncrement[] {
  const r = bootImage(image);
  const rec = new Recorder();
  const ck = new Checkpointer(rec, r.machine);
  const hashes: string[] = [];
  for (const p of points) {
    assert.equal(r.machine.run(p), 'budget');
    ck.capture();
    hashes.push(memoryDigest(r.machine.space));
  }
  r.machine.close();
  collect();
  return rec.sent.map((s, i) => ({ ...s, phoneHash: hashes[i] }));
}
