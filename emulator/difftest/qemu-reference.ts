/**
 * The reference emulator: `qemu-arm` running the same program under its gdbstub (on a private UNIX
 * socket), stopped and inspected through the GDB remote protocol.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GdbRemote, leHexToBig, leHexToU32, parseStopReply, ReferenceError, StopReply } from './gdb-remote';

/** How to start the reference. */
export interface ReferenceSpec {
  elfPath: string;
  argv: string[];
  env: string[];
  /** Host folder the guest sees as its root (qemu-arm -L), if any. */
  root?: string;
  /** Host folder for the process's working directory. */
  hostCwd: string;
  /** File to use as standard input (default: empty). */
  stdinPath?: string;
  /** qemu-arm -seed: makes its AT_RANDOM and getrandom repeatable. */
  seed: number;
  qemu?: string;
}

/** Size of one memory read: qemu's gdbstub packets hold 0x1000 characters, two per byte. */
const READ_CHUNK = 0x7f0;

/** qemu-arm under gdb control. */
export class QemuReference {
  private stdout: Buffer[] = [];
  private stderr: Buffer[] = [];
  private qRegBase = -1;
  private fpscrReg = -1;
  private breakpoints = new Set<number>();
  private closed = false;
  /** Set once the program has exited or was killed: there is nothing left to ask. */
  private ended = false;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly gdb: GdbRemote,
    private readonly dir: string,
  ) {
    proc.stdout?.on('data', (b: Buffer) => this.stdout.push(b));
    proc.stderr?.on('data', (b: Buffer) => this.stderr.push(b));
  }

  /** Start qemu-arm stopped at the program's first instruction. */
  static async start(spec: ReferenceSpec): Promise<QemuReference> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-difftest-'));
    const sock = path.join(dir, 'gdb.sock');
    // The CPU clonecloud models (qemu-arm's default is a newer one with more instructions).
    const args = ['-g', sock, '-cpu', 'cortex-a15', '-0', spec.argv[0], '-seed', String(spec.seed)];
    if (spec.root) args.push('-L', spec.root);
    args.push(spec.elfPath, ...spec.argv.slice(1));
    const env: Record<string, string> = {};
    for (const kv of spec.env) {
      const i = kv.indexOf('=');
      env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const stdin = spec.stdinPath ? fs.openSync(spec.stdinPath, 'r') : 'ignore';
    const proc = spawn(spec.qemu ?? 'qemu-arm', args, { cwd: spec.hostCwd, env, stdio: [stdin, 'pipe', 'pipe'] });
    if (typeof stdin === 'number') fs.closeSync(stdin);
    const started = new Promise<void>((_, reject) => {
      proc.once('error', (e) => reject(new ReferenceError(`cannot start qemu-arm (${e.message}): run 'bash scripts/setup.sh'`)));
    });
    const gdb = await Promise.race([GdbRemote.connect(sock), started.then(() => undefined as never)]);
    const ref = new QemuReference(proc, gdb, dir);
    await ref.learnRegisterNumbers();
    // The initial stop reply names the thread, "T05thread:<tid>;" (or "p<pid>.<tid>" with the
    // multiprocess extension); the main thread's id is the pid.
    const id = /thread:(?:p([0-9a-f]+)\.)?([0-9a-f]+)/.exec(await gdb.request('?'));
    ref.pid = id ? parseInt(id[1] ?? id[2], 16) : 0;
    return ref;
  }

  /** The reference process's pid (the program's getpid there). */
  pid = 0;

  /** r0..r15 and cpsr (index 16). */
  async registers(): Promise<Uint32Array> {
    const g = await this.gdb.request('g');
    // With a target description the packet holds r0-r15 and cpsr; without, eight FPA registers
    // and fps sit between them.
    const cpsrAt = g.length === 136 ? 128 : g.length >= 336 ? 328 : -1;
    if (cpsrAt < 0 || g[0] === 'E') throw new ReferenceError(`bad register reply (${g.length} characters): ${g.slice(0, 20)}`);
    const out = new Uint32Array(17);
    for (let i = 0; i < 16; i++) out[i] = leHexToU32(g.slice(i * 8, i * 8 + 8));
    out[16] = leHexToU32(g.slice(cpsrAt, cpsrAt + 8));
    return out;
  }

  /** d0..d31 and FPSCR (index 32). */
  async fpRegisters(): Promise<BigUint64Array> {
    const out = new BigUint64Array(33);
    for (let q = 0; q < 16; q++) {
      const hex = await this.gdb.request(`p${(this.qRegBase + q).toString(16)}`);
      out[2 * q] = leHexToBig(hex.slice(0, 16));
      out[2 * q + 1] = leHexToBig(hex.slice(16, 32));
    }
    out[32] = BigInt(leHexToU32(await this.gdb.request(`p${this.fpscrReg.toString(16)}`)));
    return out;
  }

  /** Guest memory, or undefined where the reference cannot read it. */
  async read(address: number, length: number): Promise<Uint8Array | undefined> {
    const out = new Uint8Array(length);
    for (let off = 0; off < length; off += READ_CHUNK) {
      const n = Math.min(READ_CHUNK, length - off);
      const hex = await this.gdb.request(`m${(address + off).toString(16)},${n.toString(16)}`);
      if (hex.length !== n * 2) return undefined;
      out.set(Buffer.from(hex, 'hex'), off);
    }
    return out;
  }

  /**
   * Execute one instruction at `pc` (where the reference stands). A breakpoint there would fire
   * again at once (qemu checks breakpoints as it translates), so it is lifted for the step.
   * Not for SVC: qemu's single step runs past a syscall (use runTo with the next address).
   */
  async step(pc: number): Promise<StopReply> {
    return this.offBreakpoint(pc, async () => this.stopped(await this.gdb.request('s')));
  }

  /** From `pc`, run until a breakpoint, an exit or a signal. */
  async cont(pc: number): Promise<StopReply> {
    const first = await this.offBreakpoint(pc, async () => (this.breakpoints.has(pc) ? this.stopped(await this.gdb.request('s')) : undefined));
    if (first && first.kind !== 'trap') return first;
    return this.stopped(await this.continueRequest());
  }

  /**
   * Let the program receive the signal the reference stopped for (a continue without it would
   * discard it, as gdb's 'c' does) and run on; usually the program dies of it.
   */
  async deliver(signal: number): Promise<StopReply> {
    return this.stopped(await this.gdb.request(`C${signal.toString(16).padStart(2, '0')}`));
  }

  /**
   * Continues longer than this many milliseconds are interrupted (the stop reply then carries
   * SIGINT, 2): a reference that went astray into an endless loop must not hang the comparison.
   */
  continueTimeoutMs = 0;

  private async continueRequest(): Promise<string> {
    if (!this.continueTimeoutMs) return this.gdb.request('c');
    const timer = setTimeout(() => this.gdb.interrupt(), this.continueTimeoutMs);
    try {
      return await this.gdb.request('c');
    } finally {
      clearTimeout(timer);
    }
  }

  /** From `pc`, run until the instruction at `target` is about to execute (or an exit or a signal). */
  async runTo(pc: number, target: number): Promise<StopReply> {
    const keep = this.breakpoints.has(target);
    await this.setBreakpoint(target);
    try {
      return await this.offBreakpoint(pc, async () => this.stopped(await this.continueRequest()));
    } finally {
      if (!keep) await this.clearBreakpoint(target);
    }
  }

  private stopped(packet: string): StopReply {
    const r = parseStopReply(packet);
    if (r.kind !== 'trap') this.ended = true;
    return r;
  }

  private async offBreakpoint<T>(pc: number, fn: () => Promise<T>): Promise<T> {
    if (!this.breakpoints.has(pc)) return fn();
    await this.gdb.request(`z0,${pc.toString(16)},2`);
    try {
      return await fn();
    } finally {
      if (!this.ended) await this.gdb.request(`Z0,${pc.toString(16)},2`);
    }
  }

  /** Set a breakpoint (address without the Thumb bit). */
  async setBreakpoint(address: number): Promise<void> {
    if (this.breakpoints.has(address)) return;
    const r = await this.gdb.request(`Z0,${address.toString(16)},2`);
    if (r !== 'OK') throw new ReferenceError(`the reference refused a breakpoint at 0x${address.toString(16)}: ${r}`);
    this.breakpoints.add(address);
  }

  /** Remove a breakpoint. */
  async clearBreakpoint(address: number): Promise<void> {
    if (!this.breakpoints.delete(address) || this.ended) return;
    await this.gdb.request(`z0,${address.toString(16)},2`);
  }

  /** Whether a breakpoint is set at `address`. */
  hasBreakpoint(address: number): boolean {
    return this.breakpoints.has(address);
  }

  /** What the program wrote to stdout and stderr so far. */
  output(): { stdout: Buffer; stderr: Buffer } {
    return { stdout: Buffer.concat(this.stdout), stderr: Buffer.concat(this.stderr) };
  }

  /** Wait for the process to end after it exited (so all its output has arrived). */
  async finished(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise<void>((resolve) => this.proc.once('close', () => resolve()));
  }

  /** Kill qemu-arm and remove its socket folder. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gdb.close();
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Find the gdb register numbers of q0 and FPSCR from the target description. */
  private async learnRegisterNumbers(): Promise<void> {
    const target = await this.xfer('target.xml');
    let next = 26; // r0-r15, eight FPA registers, fps, then cpsr = 25
    for (const m of target.matchAll(/<xi:include href="([^"]+)"/g)) {
      if (m[1] === 'arm-core.xml') continue;
      const names = [...(await this.xfer(m[1])).matchAll(/<reg name="([^"]+)"/g)].map((r) => r[1]);
      names.forEach((n, i) => {
        if (n === 'q0' && this.qRegBase < 0) this.qRegBase = next + i;
        if (n === 'fpscr' && this.fpscrReg < 0) this.fpscrReg = next + i;
      });
      next += names.length;
    }
    if (this.qRegBase < 0 || this.fpscrReg < 0) throw new ReferenceError('the reference does not describe its NEON registers');
  }

  private async xfer(annex: string): Promise<string> {
    let text = '';
    for (;;) {
      const r = await this.gdb.request(`qXfer:features:read:${annex}:${text.length.toString(16)},800`);
      if (r[0] !== 'm' && r[0] !== 'l') throw new ReferenceError(`cannot read ${annex} from the reference: ${r}`);
      text += r.slice(1);
      if (r[0] === 'l') return text;
    }
  }
}
