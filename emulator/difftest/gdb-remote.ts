/**
 * A minimal client of the GDB remote serial protocol, enough to drive qemu-arm's gdbstub:
 * registers, memory, single steps, breakpoints and continues. Packets are `$payload#checksum`,
 * each acknowledged with `+`. One request is in flight at a time.
 */
import * as net from 'net';
import { CloneCloudError } from '../errors';

/** The reference emulator's gdbstub misbehaved or went away. */
export class ReferenceError extends CloneCloudError {}

/** Why the target stopped: a trap (step or breakpoint), an exit, or a fatal signal. */
export type StopReply = { kind: 'trap'; signal: number } | { kind: 'exited'; status: number } | { kind: 'killed'; signal: number };

/** Parse a stop reply packet (T/S, W, X). */
export function parseStopReply(p: string): StopReply {
  const code = parseInt(p.slice(1, 3), 16);
  if (p[0] === 'T' || p[0] === 'S') return { kind: 'trap', signal: code };
  if (p[0] === 'W') return { kind: 'exited', status: code };
  if (p[0] === 'X') return { kind: 'killed', signal: code };
  throw new ReferenceError(`unexpected stop reply from the reference: ${p.slice(0, 40)}`);
}

/** Frame a payload as a packet. */
export function framePacket(payload: string): string {
  let sum = 0;
  for (let i = 0; i < payload.length; i++) sum = (sum + payload.charCodeAt(i)) & 0xff;
  return `$${payload}#${sum.toString(16).padStart(2, '0')}`;
}

/** Little-endian hex (as gdb sends register values) to a number. */
export function leHexToU32(hex: string): number {
  let v = 0;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = v * 256 + parseInt(hex.slice(i, i + 2), 16);
  return v >>> 0;
}

/** Little-endian hex to a bigint. */
export function leHexToBig(hex: string): bigint {
  let v = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) v = (v << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return v;
}

/** A connection to a gdbstub. */
export class GdbRemote {
  private buf = '';
  private waiter: ((packet: string) => void) | null = null;
  private failure: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.setNoDelay(true);
    sock.on('data', (d: string) => this.onData(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new ReferenceError('the reference closed its gdb connection')));
  }

  /** Connect to a gdbstub listening on a UNIX socket, retrying until `timeoutMs`. */
  static async connect(path: string, timeoutMs = 10_000): Promise<GdbRemote> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        return new GdbRemote(sock);
      } catch (e) {
        if (Date.now() > deadline) throw new ReferenceError(`cannot reach the reference's gdbstub at ${path}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Send one request and wait for its reply packet. */
  request(payload: string): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = resolve;
      this.rejecter = reject;
      this.sock.write(framePacket(payload));
      this.drain();
    });
  }

  /** Interrupt a running target (the reply to the request in flight is then a stop reply). */
  interrupt(): void {
    if (!this.failure) this.sock.write('\x03');
  }

  /** Send a packet that gets no reply (e.g. kill). */
  send(payload: string): void {
    if (!this.failure) this.sock.write(framePacket(payload));
  }

  /** Close the connection. */
  close(): void {
    this.failure ??= new ReferenceError('connection closed');
    this.sock.destroy();
  }

  private rejecter: ((e: Error) => void) | null = null;

  private onData(d: string): void {
    this.buf += d;
    this.drain();
  }

  private drain(): void {
    for (;;) {
      // Acks and stray bytes before a packet carry nothing we need.
      const start = this.buf.indexOf('$');
      if (start < 0) {
        this.buf = '';
        return;
      }
      const end = this.buf.indexOf('#', start);
      if (end < 0 || this.buf.length < end + 3) {
        this.buf = this.buf.slice(start);
        return;
      }
      const payload = this.buf.slice(start + 1, end);
      this.buf = this.buf.slice(end + 3);
      this.sock.write('+');
      const w = this.waiter;
      this.waiter = null;
      this.rejecter = null;
      if (w) w(payload);
    }
  }

  private fail(e: Error): void {
    if (!this.failure) this.failure = e instanceof ReferenceError ? e : new ReferenceError(`gdb connection: ${e.message}`);
    const r = this.rejecter;
    this.waiter = null;
    this.rejecter = null;
    if (r) r(this.failure);
  }
}
