/** Checkpoint ids: run part and sequence, and the forms a user may type. */
import { strict as assert } from 'assert';
import { checkpointId, newRunPart, resolveCheckpointId, sequenceOf } from '../../emulator/snapshot/checkpoint-id';

describe('checkpoint ids', () => {
  it("are a short random run part and the run's sequence number", () => {
    const runs = new Set(Array.from({ length: 1000 }, () => newRunPart()));
    assert.equal(runs.size, 1000);
    for (const r of runs) assert.match(r, /^[a-z][a-z2-9]{5}$/);
    assert.equal(checkpointId('kq7m3x', 12), 'kq7m3x-12');
    assert.equal(sequenceOf('kq7m3x-12'), 12);
    assert.equal(sequenceOf('c0001'), undefined);
  });

  it('resolve from an id, a bare sequence number or a unique prefix; one line for none or several', () => {
    const ids = ['c0001', 'kq7m3x-1', 'kq7m3x-2', 'kq7m3x-10', 'ab2cde-1'];
    assert.equal(resolveCheckpointId(ids, 'c0001'), 'c0001', 'older ids are plain strings');
    assert.equal(resolveCheckpointId(ids, 'kq7m3x-1'), 'kq7m3x-1', 'an exact id wins over a longer one it starts');
    assert.equal(resolveCheckpointId(ids, '2'), 'kq7m3x-2');
    assert.equal(resolveCheckpointId(ids, 'ab'), 'ab2cde-1');
    assert.throws(() => resolveCheckpointId(ids, '1'), /^StoreError: checkpoint 1 is ambiguous: it could be kq7m3x-1, ab2cde-1; give more of the id$/);
    assert.throws(() => resolveCheckpointId(ids, 'kq7'), /ambiguous: it could be kq7m3x-1, kq7m3x-2, kq7m3x-10/);
    assert.throws(() => resolveCheckpointId(ids, 'zz'), /^StoreError: unknown checkpoint zz; known: c0001, kq7m3x-1/);
    assert.throws(() => resolveCheckpointId([], 'x'), /unknown checkpoint x; known: none$/);
  });
});
