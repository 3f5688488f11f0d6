/**
 * The socket edge: a net.Socket as "send a frame" and "wait for the next frame". Frames are
 * decoded as bytes arrive; a protocol error closes the connection after telling the peer why in
 * an error frame; a read that waits longer than the timeout fails. Reading pauses while frames
 * wait unread, so a fast peer cannot fill this side's memory.
 */
import * as net from 'net';
import { ErrorCode, PeerRefusedError, ProtocolError } from './errors';
import { FrameDecoder } from './decoder';
import { encodeFrame, Frame, FrameOf, FrameType } from './frames';

/** Frames held unread before the socket stops reading. */
const QUEUE_LIMIT = 4;

/** Options of a connection. */
export interface ConnectionOptions {
  /** Milliseconds next() waits for a frame before failing (default 30 s). */
  readTimeoutMs?: number;
}

/** One end of a link, over one socket. */
export class FrameConnection {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Frame[] = [];
  private waiter: { resolve: (f: Frame) => void; reject: (e: Error) => void; timer: NodeJS.Timeout } | undefined;
  private failure: ProtocolError | undefined;
  private readonly readTimeoutMs: number;

  constructor(
    readonly socket: net.Socket,
    options: ConnectionOptions = {},
  ) {
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.settle(new ProtocolError(ErrorCode.Closed, `connection to ${this.peer} failed: ${e.message}`)));
    socket.on('close', () =>
      this.settle(new ProtocolError(ErrorCode.Closed, `connection to ${this.peer} closed${this.decoder.idle ? '' : ' in the middle of a frame'}`)),
    );
  }

  /** The peer's address, for messages. */
  get peer(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** True once the connection has failed or closed. */
  get closed(): boolean {
    return this.failure !== undefined;
  }

  private onData(chunk: Buffer): void {
    if (this.failure) return;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (e) {
      this.fail(e as ProtocolError);
      return;
    }
    this.queue.push(...frames);
    this.deliver();
    if (this.queue.length >= QUEUE_LIMIT) this.socket.pause();
  }

  private deliver(): void {
    if (this.waiter && this.queue.length) {
      const w = this.waiter;
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.resolve(this.queue.shift()!);
    }
  }

  private settle(e: ProtocolError): void {
    this.failure ??= e;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
  }

  /** Send `frame` (refused after the connection failed). */
  send(frame: Frame): void {
    if (this.failure) throw this.failure;
    this.socket.write(encodeFrame(frame));
  }

  /** The next frame; fails on timeout (the connection's, or `timeoutMs`), on close, or when the stream broke the protocol. */
  next(timeoutMs = this.readTimeoutMs): Promise<Frame> {
    if (this.queue.length) {
      const f = this.queue.shift()!;
      if (this.queue.length < QUEUE_LIMIT) this.socket.resume();
      return Promise.resolve(f);
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiter) return Promise.reject(new ProtocolError(ErrorCode.Internal, 'next() called while another read is waiting'));
    this.socket.resume();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new ProtocolError(ErrorCode.Closed, `no frame from ${this.peer} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  /**
   * The next frame, which must be of `type`: an error frame from the peer fails with
   * PeerRefusedError, any other type closes the connection with an Unexpected error.
   */
  async expect<T extends FrameType>(type: T, timeoutMs?: number): Promise<FrameOf<T>> {
    const f = await this.next(timeoutMs);
    if (f.type === type) return f as FrameOf<T>;
    if (f.type === FrameType.Error) {
      const e = new PeerRefusedError(f.code as ErrorCode, `${this.peer} refused: ${f.message}`);
      this.settle(e);
      this.socket.destroy();
      throw e;
    }
    throw this.fail(new ProtocolError(ErrorCode.Unexpected, `expected a ${FrameType[type]} frame from ${this.peer}, got ${FrameType[f.type]}`));
  }

  /** Tell the peer why in an error frame, close, and return `e` (so callers can throw it). */
  fail(e: ProtocolError): ProtocolError {
    if (!this.failure) {
      this.settle(e);
      if (!this.socket.destroyed) this.socket.end(encodeFrame({ type: FrameType.Error, code: e.code, message: e.message }));
      setTimeout(() => this.socket.destroy(), 1000).unref();
    }
    return e;
  }

  /** Say bye and close. */
  close(): void {
    if (!this.failure && !this.socket.destroyed) this.socket.end(encodeFrame({ type: FrameType.Bye }));
    this.settle(new ProtocolError(ErrorCode.Closed, 'connection closed by this side'));
  }
}

/** Connect to `host:port` and wrap the socket; fails with ProtocolError (code Closed) when unreachable. */
export function connect(host: string, port: number, options: ConnectionOptions = {}): Promise<FrameConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const onError = (e: Error) => reject(new ProtocolError(ErrorCode.Closed, `cannot reach the clone at ${formatAddress(host, port)}: ${e.message}`));
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new FrameConnection(socket, options));
    });
  });
}

/** HOST:PORT, with an IPv6 host in brackets. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
