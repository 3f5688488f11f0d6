/** The wire protocol's frames and streaming decoder: round trips, chunking, and fuzzing. */
import { strict as assert } from 'assert';
import { FrameDecoder } from '../../emulator/link/decoder';
import { ErrorCode, ProtocolError } from '../../emulator/link/errors';
import { decodePayload, encodeFrame, Frame, FrameType, LENGTH_BYTES, MAX_FRAME_BYTES } from '../../emulator/link/frames';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { rng, sampleFrames } from './samples';

/** Everything a decoder makes of `bytes` pushed in `cuts`: frames, or the ProtocolError it threw. */
function decodeAll(chunks: Uint8Array[]): { frames: Frame[]; error?: ProtocolError } {
  const d = new FrameDecoder();
  const frames: Frame[] = [];
  try {
    for (const c of chunks) frames.push(...d.push(c));
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { frames, error: e };
  }
  return { frames };
}

/** A frame whose body (type byte and payload) is `body`. */
function framed(body: Uint8Array): Uint8Array {
  const out = Buffer.alloc(LENGTH_BYTES + body.length);
  out.writeUInt32LE(body.length, 0);
  out.set(body, LENGTH_BYTES);
  return out;
}

/** A decoded frame is correct when it encodes to bytes that decode to the same frame. */
function assertCanonical(f: Frame): void {
  const again = decodeAll([encodeFrame(f)]);
  assert.equal(again.error, undefined);
  assert.deepEqual(again.frames, [f]);
}

describe('wire protocol frames', () => {
  let samples: Frame[];
  let wire: Uint8Array[];
  before(async () => {
    await initHashing();
    samples = sampleFrames();
    wire = samples.map(encodeFrame);
  });

  it('has a sample of every frame type', () => {
    const types = new Set(samples.map((f) => f.type));
    for (const t of Object.values(FrameType).filter((v) => typeof v === 'number')) assert.ok(types.has(t), FrameType[t]);
  });

  it('round-trips every frame type', () => {
    for (let i = 0; i < samples.length; i++) {
      const { frames, error } = decodeAll([wire[i]]);
      assert.equal(error, undefined, FrameType[samples[i].type]);
      assert.deepEqual(frames.map(normal), [normal(samples[i])], FrameType[samples[i].type]);
    }
  });

  it('gives the same frames whatever the chunking: every split point, and byte by byte', () => {
    const stream = Buffer.concat(wire);
    const whole = decodeAll([stream]).frames;
    assert.equal(whole.length, samples.length);
    for (let cut = 0; cut <= stream.length; cut += 7) {
      assert.deepEqual(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]).frames, whole);
    }
    assert.deepEqual(decodeAll(Array.from(stream, (b) => Uint8Array.of(b))).frames, whole);
    const next = rng(7);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < stream.length;) {
      const n = 1 + (next() % 3000);
      chunks.push(stream.subarray(at, at + n));
      at += n;
    }
    assert.deepEqual(decodeAll(chunks).frames, whole);
  });

  it('refuses every truncation of every frame body, and holds a cut-off frame without yielding it', () => {
    for (const w of wire) {
      const body = w.subarray(LENGTH_BYTES);
      for (let n = 1; n < body.length; n++) {
        const { frames, error } = decodeAll([framed(body.subarray(0, n))]);
        assert.ok(error, `${FrameType[body[0]]} cut to ${n} bytes was accepted`);
        assert.equal(error.code, ErrorCode.Malformed);
        assert.equal(frames.length, 0);
      }
      for (let n = 0; n < w.length; n++) {
        const d = new FrameDecoder();
        assert.deepEqual(d.push(w.subarray(0, n)), []);
        assert.equal(d.idle, n === 0);
      }
    }
  });

  it('refuses trailing bytes, a zero length, and unknown types', () => {
    for (const w of wire) {
      const { error } = decodeAll([framed(Buffer.concat([w.subarray(LENGTH_BYTES), Uint8Array.of(0)]))]);
      assert.equal(error?.code, ErrorCode.Malformed, FrameType[w[LENGTH_BYTES]]);
    }
    assert.equal(decodeAll([Uint8Array.of(0, 0, 0, 0)]).error?.code, ErrorCode.Malformed);
    for (let t = 0; t < 256; t++) {
      if (FrameType[t] !== undefined) continue;
      assert.match(decodeAll([framed(Uint8Array.of(t))]).error?.message ?? '', /unknown frame type/);
    }
  });

  it('refuses a length over the maximum from its four bytes alone, before any body arrives', () => {
    for (const length of [MAX_FRAME_BYTES + 1, 0x7fffffff, 0xffffffff]) {
      const head = Buffer.alloc(4);
      head.writeUInt32LE(length >>> 0, 0);
      const { error } = decodeAll([head]);
      assert.equal(error?.code, ErrorCode.TooLarge);
    }
    const d = new FrameDecoder();
    assert.throws(() => d.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff)), ProtocolError);
    assert.throws(() => d.push(encodeFrame({ type: FrameType.Bye })), /over the/, 'a broken decoder stays broken');
    assert.throws(() => encodeFrame({ type: FrameType.HaveQuery, hashes: new Uint8Array(MAX_FRAME_BYTES) }), /maximum/);
  });

  it('refuses counts that overrun the frame', () => {
    const lie = (type: FrameType, count: number) => {
      const b = Buffer.alloc(9);
      b[0] = type;
      b.writeUInt32LE(count >>> 0, 1);
      return decodeAll([framed(b)]).error;
    };
    for (const t of [FrameType.HaveQuery, FrameType.PageBatch]) {
      for (const n of [1, 1000, 0xffffffff]) assert.equal(lie(t, n)?.code, ErrorCode.Malformed);
    }
  });

  it('makes of random bytes only ProtocolErrors or correct frames', () => {
    const next = rng(1);
    for (let round = 0; round < 3000; round++) {
      const n = next() % 64;
      const bytes = Uint8Array.from({ length: n }, () => next() & 0xff);
      // Half the rounds get a plausible length, so the payload parsers are reached too.
      if (round % 2 && n >= 5) Buffer.from(bytes.buffer).writeUInt32LE(n - 4, 0);
      if (round % 4 === 3 && n >= 5) bytes[4] = samples[next() % samples.length].type;
      const { frames } = decodeAll([bytes]);
      frames.forEach(assertCanonical);
    }
  });

  it('makes of a flipped byte in any frame only a ProtocolError or a correct frame', () => {
    const next = rng(2);
    for (const w of wire) {
      const step = Math.max(1, Math.floor(w.length / 600));
      for (let at = 0; at < w.length; at += step) {
        const bad = Buffer.from(w);
        bad[at] ^= 1 + (next() % 255);
        const { frames } = decodeAll([bad]);
        frames.forEach(assertCanonical);
      }
    }
  });

  it('names the frame and the reason in the error', () => {
    assert.throws(() => decodePayload(FrameType.Phone, Buffer.from([3, 0, 0x61, 0x2f, 0x62])), /Phone frame: phone id "a\/b"/);
    assert.throws(() => decodePayload(FrameType.HaveAnswer, Buffer.from([9, 0, 0, 0, 0xff, 0x02])), /bits set past the last hash/);
    const start = sampleFrames().find((f) => f.type === FrameType.IncrementStart)!;
    assert.throws(() => decodePayload(FrameType.IncrementStart, encodeFrame({ ...start, id: 'other' }).subarray(5)), /manifest id or parent differs/);
  });
});

/** A frame with its byte arrays as plain Buffers, so deepEqual compares contents only. */
function normal(f: unknown): unknown {
  if (f instanceof Uint8Array) return Buffer.from(f).toString('hex');
  if (Array.isArray(f)) return f.map(normal);
  if (f && typeof f === 'object') return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, normal(v)]));
  return f;
}
