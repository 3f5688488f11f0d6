/** One sample of every frame type, for the wire-protocol specs. */
import { ErrorCode } from '../../emulator/link/errors';
import { Frame, FrameType } from '../../emulator/link/frames';
import { packPage } from '../../emulator/link/page-codec';
import { hashBytes } from '../../emulator/snapshot/page-hash';
import { encodeDelta, encodePageTable } from '../../emulator/snapshot/page-table';

/** `n` bytes of a simple deterministic pattern seeded by `seed`. */
export function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 64 < 48 ? i & 0xff : x >>> 24;
  }
  return b;
}

/** A deterministic pseudo-random generator (xorshift32) for fuzzing. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Every frame type, with fields that exercise its encoding (needs initHashing()). */
export function sampleFrames(): Frame[] {
  const pages = [pattern(4096, 1), pattern(4096, 2), pattern(100, 3)];
  const hashes = pages.map((p) => hashBytes(p));
  const random = new Uint8Array(4096).map((_, i) => ((i * 7919 + (i >> 3) * 104729) & 0xff) ^ ((i * i) % 251));
  const table = { pages: Uint32Array.of(16, 17, 300), hashes: Buffer.concat(hashes) };
  return [
    { type: FrameType.Hello, version: '1.0', nonce: pattern(32, 4) },
    { type: FrameType.Challenge, version: '1.3', nonce: pattern(32, 5), proof: pattern(32, 6) },
    { type: FrameType.Auth, proof: pattern(32, 7) },
    { type: FrameType.Welcome },
    { type: FrameType.Phone, phoneId: 'g1-alice.2009' },
    { type: FrameType.MirrorState, lastSync: 'a1b2c3', memoryHash: 'ff00' },
    { type: FrameType.MirrorState, lastSync: null, memoryHash: null },
    { type: FrameType.HaveQuery, hashes: Buffer.concat(hashes) },
    { type: FrameType.HaveAnswer, count: 11, bitmap: Uint8Array.of(0b10100101, 0b101) },
    {
      type: FrameType.IncrementStart,
      id: 'c2',
      parent: 'c1',
      chain: 'chain-x',
      parentChain: 'chain-x',
      manifest: { version: '2.0', id: 'c2', parent: 'c1', state: { regs: [1, 2, 3] } },
      pageTable: encodeDelta({ base: 'c1', depth: 1, set: table, removed: Uint32Array.of(5, 9) }),
      extraHashes: hashes[2],
      pageCount: 3,
    },
    {
      type: FrameType.IncrementStart,
      id: 'c1',
      parent: null,
      chain: 'chain-x',
      parentChain: null,
      manifest: { id: 'c1', parent: null },
      pageTable: encodePageTable(table),
      extraHashes: new Uint8Array(0),
      pageCount: 0,
    },
    { type: FrameType.PageBatch, pages: [...pages.map((p, i) => packPage(hashes[i], p)), packPage(hashBytes(random), random)] },
    { type: FrameType.IncrementCommit, id: 'c2', pageCount: 3 },
    { type: FrameType.Ack, id: 'c2', memoryHash: '0123456789abcdef' },
    {
      type: FrameType.FilesStart,
      id: 'kq7m3x-f1',
      manifest: { version: '2.0', kind: 'files', id: 'kq7m3x-f1', vfs: { nextIno: 3, nodes: [] } },
      extraHashes: Buffer.concat([hashes[0], hashes[2]]),
      pageCount: 2,
    },
    { type: FrameType.FilesAck, id: 'kq7m3x-f1', filesHash: '00ff00ff00ff00ff00ff00ff00ff00ff' },
    { type: FrameType.Migrate, checkpoint: 'c2', returnPc: 0x10a3d, returnSp: 0xbefff8a0, budget: '', phoneOnly: ['/dev/camera', '/data/contacts.db'] },
    { type: FrameType.Migrate, checkpoint: 'c3', returnPc: 0x10a3c, returnSp: 0xbefff000, budget: '5000000000', phoneOnly: [] },
    { type: FrameType.Output, fd: 1, data: Buffer.from('hello from the clone\n') },
    { type: FrameType.Output, fd: 2, data: new Uint8Array(0) },
    {
      type: FrameType.Returned,
      id: 'c4',
      reason: 'return',
      detail: 'returned to 0x10a3d',
      memoryHash: '0123456789abcdef0123456789abcdef',
      chain: 'chain-y',
      instructions: '123456789',
      cloneSeconds: 0.125,
    },
    { type: FrameType.ListMirrors },
    {
      type: FrameType.Mirrors,
      mirrors: [
        { phoneId: 'g1', lastSync: 'c2', syncedAt: '2009-06-01T10:00:00.000Z', pages: 1234, bytes: 5678, memoryHash: 'abcd' },
        { phoneId: 'g2', lastSync: null, syncedAt: null, pages: 0, bytes: 0, memoryHash: null },
        { phoneId: 'g3', lastSync: 'c9', syncedAt: null, pages: 1, bytes: 2, memoryHash: 'ef', filesSync: 'c9-f2', filesSyncedAt: '2009-06-01T10:00:01.000Z' },
      ],
    },
    { type: FrameType.Error, code: ErrorCode.Auth, message: 'no: check --token-file' },
    { type: FrameType.Bye },
  ];
}
