/** Pages on the wire: LZ4 or raw, bombs and damaged pages refused. */
import { strict as assert } from 'assert';
import { ErrorCode, ProtocolError } from '../../emulator/link/errors';
import { packPage, PageEncoding, unpackPage, WirePage } from '../../emulator/link/page-codec';
import { hashBytes, initHashing } from '../../emulator/snapshot/page-hash';
import { pattern, rng } from './samples';

const refused = (p: WirePage, why: RegExp) =>
  assert.throws(
    () => unpackPage(p),
    (e: unknown) => e instanceof ProtocolError && e.code === ErrorCode.BadPage && why.test(e.message),
  );

describe('page codec', () => {
  before(initHashing);

  it('compresses what shrinks, sends the rest raw, and round-trips both', () => {
    const next = rng(3);
    const noise = Uint8Array.from({ length: 4096 }, () => next() & 0xff);
    for (const bytes of [pattern(4096, 1), noise, Uint8Array.of(9), new Uint8Array(4096).fill(1)]) {
      const p = packPage(hashBytes(bytes), bytes);
      assert.equal(p.encoding, bytes === noise || bytes.length === 1 ? PageEncoding.Raw : PageEncoding.Lz4);
      assert.ok(p.data.length <= bytes.length);
      assert.deepEqual(Buffer.from(unpackPage(p)), Buffer.from(bytes));
    }
  });

  it('refuses a compressed page that claims more than one page, unread', () => {
    const bytes = new Uint8Array(4096).fill(7);
    const p = packPage(hashBytes(bytes), bytes);
    for (const claim of [4097, 1 << 30, 0]) {
      const bomb = Buffer.from(p.data);
      bomb.writeUInt32LE(claim >>> 0, 0);
      refused({ ...p, data: bomb }, /claims/);
    }
  });

  it('refuses a page whose bytes do not match its hash, or that does not decompress', () => {
    const bytes = pattern(4096, 2);
    const p = packPage(hashBytes(bytes), bytes);
    const other = hashBytes(pattern(4096, 3));
    refused({ ...p, hash: other }, /do not match the hash/);
    refused({ hash: p.hash, encoding: PageEncoding.Raw, data: bytes.subarray(1) }, /do not match/);
    const next = rng(4);
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(p.data);
      bad[4 + (next() % (bad.length - 4))] ^= 1 + (next() % 255);
      refused({ ...p, data: bad }, /decompress|do not match|decompressed to/);
    }
    refused({ ...p, data: p.data.subarray(0, p.data.length - 3) }, /decompress|decompressed to|do not match/);
    refused({ ...p, encoding: 9 as PageEncoding }, /unknown page encoding/);
  });
});
