/**
 * Linux's ARM signal frames, built on a task's stack and taken back by sigreturn. The layout is
 * the kernel's ABI (arch/arm/kernel/signal.c, asm/ucontext.h, asm/sigcontext.h): a handler
 * without SA_SIGINFO gets `struct sigframe` (a ucontext whose uc_flags is 0x5ac3c35a, then four
 * retcode words); one with SA_SIGINFO gets `struct rt_sigframe` (a 128-byte siginfo, then the
 * same sigframe with uc_flags 0, uc_link NULL and uc_stack filled). The ucontext holds the
 * sigcontext (trap_no, error_code, oldmask, r0..r15, cpsr, fault_address), the 8-byte mask padded
 * to glibc's 128, and uc_regspace with the VFP block (magic 0x56465001, 288 bytes) and a zero end
 * marker. Everything works on plain CPU states, so it serves whichever task the scheduler runs.
 */
import { SIGSET_SIZE, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from '../abi/signal';
import { AddressSpace, PROT_READ, PROT_WRITE } from '../memory/address-space';
import { CpuContextState } from '../unicorn/cpu-context';
import { CloneCloudError } from '../errors';
import { StructWriter } from './guest-structs';

/** sa_flags bits (ARM values). */
export const SA_SIGINFO = 0x00000004;
export const SA_RESTORER = 0x04000000;
export const SA_ONSTACK = 0x08000000;
export const SA_RESTART = 0x10000000;
export const SA_NODEFER = 0x40000000;
export const SA_RESETHAND = 0x80000000;

/** sizeof(siginfo_t). */
export const SIGINFO_SIZE = 128;
/** Offsets inside struct ucontext. */
const UC_FLAGS = 0;
const UC_LINK = 4;
const UC_STACK = 8;
const UC_MCONTEXT = 20;
const UC_SIGMASK = 104;
const UC_REGSPACE = 232;
const UC_SIZE = 744;
/** Offsets inside struct sigcontext (from uc_mcontext). */
const SC_TRAP_NO = 0;
const SC_ERROR_CODE = 4;
const SC_OLDMASK = 8;
const SC_R0 = 12;
const SC_PC = SC_R0 + 15 * 4;
const SC_CPSR = SC_R0 + 16 * 4;
const SC_FAULT_ADDRESS = SC_R0 + 17 * 4;
/** struct sigframe: the ucontext and retcode[4]. */
const SIGFRAME_SIZE = UC_SIZE + 16;
/** struct rt_sigframe: siginfo, then a sigframe. */
const RT_SIGFRAME_SIZE = SIGINFO_SIZE + SIGFRAME_SIZE;
/** uc_flags of a non-RT frame: a value trap_no never has, so the two kinds can be told apart. */
const NON_RT_UC_FLAGS = 0x5ac3c35a;
/** struct vfp_sigframe: magic, size, 32 D registers, fpscr (padded to 8), fpexc, fpinst, fpinst2, padded to 8. */
export const VFP_MAGIC = 0x56465001;
export const VFP_STORAGE_SIZE = 288;
const VFP_FPSCR = 8 + 32 * 8;
const VFP_FPEXC = 8 + 264;

/** CPSR bits. */
const PSR_T = 1 << 5;
const PSR_F = 1 << 6;
const PSR_I = 1 << 7;
const PSR_A = 1 << 8;
const PSR_E = 1 << 9;
const PSR_FLAGS = 0xff000000;
const PSR_IT = 0x0600fc00;
const MODE_MASK = 0x1f;
const USR_MODE = 0x10;
/** The CPSR bits a sigreturn may set: flags, GE/IT (status and extension bytes), Thumb, 32-bit mode. */
const PSR_USER_SETTABLE = 0xff000000 | 0x00ff0000 | 0x0000ff00 | PSR_T | 0x10;

/** FPSCR vector length and stride, cleared for the handler (Linux does the same). */
const FPSCR_LEN_STRIDE = (7 << 16) | (3 << 20);
/** FPEXC: enable, exception, FP2V. */
const FPEXC_EN = 1 << 30;
const FPEXC_EX = 1 << 31;
const FPEXC_FP2V = 1 << 28;

/** The return trampolines of Linux's sigpage (sigreturn_codes), in its order. */
const SIGRETURN_CODES = [
  0xe3a07077, // arm: mov r7, #119 (sigreturn)
  0xef900077, // arm: svc #0x900077
  0xdf002777, // thumb: movs r7, #119; svc #0
  0xe3a070ad, // arm: mov r7, #173 (rt_sigreturn)
  0xef9000ad, // arm: svc #0x9000ad
  0xdf0027ad, // thumb: movs r7, #173; svc #0
  0, // padding: four words are always copied
];

/** The sigpage contents: the trampolines at offset 0. */
export function sigpageCode(): Uint8Array {
  const w = new StructWriter(SIGRETURN_CODES.length * 4);
  SIGRETURN_CODES.forEach((v, i) => w.u32(i * 4, v));
  return w.bytes;
}

/** A signal's siginfo, as plain (persistable) data. */
export interface SigInfo {
  signo: number;
  code: number;
  /** Sender (SI_USER, SI_TKILL, SI_QUEUE). */
  pid?: number;
  uid?: number;
  /** Faulting address (SIGSEGV, SIGBUS, SIGILL, SIGFPE). */
  addr?: number;
  /** The sigcontext's trap_no and error_code for a fault (the kernel's thread fields). */
  trapNo?: number;
  errorCode?: number;
}

/** A sigaction as the kernel keeps it. */
export interface SigAction {
  handler: number;
  flags: number;
  restorer: number;
  mask: bigint;
}

/** sigaltstack as a task keeps it: sp, the flags it was set with (SS_DISABLE when off), size (0 when off). */
export type AltStack = [number, number, number];

/** Whether `sp` is on the alternate stack (never, for one armed with SS_AUTODISARM). */
export function onAltStack(alt: AltStack, sp: number): boolean {
  if (alt[1] & SS_AUTODISARM) return false;
  const [base, , size] = alt;
  return sp >>> 0 > base >>> 0 && (sp >>> 0) - (base >>> 0) <= size;
}

/** sas_ss_flags: SS_DISABLE without a stack, SS_ONSTACK on it, else 0. */
export function altStackFlags(alt: AltStack, sp: number): number {
  if (alt[2] === 0) return SS_DISABLE;
  return onAltStack(alt, sp) ? SS_ONSTACK : 0;
}

/** What building a frame needs besides the registers. */
export interface FrameRequest {
  sig: number;
  info: SigInfo;
  action: SigAction;
  /** The mask the handler's return restores. */
  savedMask: bigint;
  altstack: AltStack;
  /** Where the kernel's trampolines are (used without SA_RESTORER). */
  sigpage: number;
}

/** A frame that was built: the handler's registers, and the alternate stack afterwards. */
export interface BuiltFrame {
  state: CpuContextState;
  altstack: AltStack;
  frame: number;
}

/** The frame could not be written or read (an unwritable stack, a bad sp): the task gets SIGSEGV. */
export class BadFrame extends CloneCloudError {}

/** Encode `info` as a 32-bit siginfo_t. */
export function encodeSigInfo(info: SigInfo): Uint8Array {
  const w = new StructWriter(SIGINFO_SIZE).u32(0, info.signo).u32(4, 0).u32(8, info.code);
  if (info.addr !== undefined) w.u32(12, info.addr);
  else w.u32(12, info.pid ?? 0).u32(16, info.uid ?? 0);
  return w.bytes;
}

function writeChecked(space: AddressSpace, addr: number, bytes: Uint8Array): void {
  if (!space.isMapped(addr, bytes.length, PROT_READ | PROT_WRITE)) throw new BadFrame(`signal frame at 0x${(addr >>> 0).toString(16)} is not writable`);
  space.write(addr, bytes);
}

/** The VFP block of uc_regspace, followed by the zero end marker. */
function vfpBlock(s: CpuContextState): Uint8Array {
  const w = new StructWriter(VFP_STORAGE_SIZE + 4).u32(0, VFP_MAGIC).u32(4, VFP_STORAGE_SIZE);
  s.d.forEach((hex, i) => w.u64(8 + i * 8, BigInt('0x' + hex)));
  w.u32(VFP_FPSCR, s.fpscr).u32(VFP_FPEXC, s.fpexc);
  return w.bytes;
}

/** struct ucontext for `s` (uc_flags, uc_link and uc_stack filled by the caller). */
function ucontext(s: CpuContextState, req: FrameRequest): StructWriter {
  const w = new StructWriter(UC_SIZE);
  const m = UC_MCONTEXT;
  const thumb = (s.pc & 1) !== 0;
  w.u32(m + SC_TRAP_NO, req.info.trapNo ?? 0);
  w.u32(m + SC_ERROR_CODE, req.info.errorCode ?? 0);
  w.u32(m + SC_OLDMASK, Number(req.savedMask & 0xffffffffn));
  for (let i = 0; i < 15; i++) w.u32(m + SC_R0 + i * 4, s.r[i]);
  w.u32(m + SC_PC, s.pc & ~1);
  w.u32(m + SC_CPSR, thumb ? s.cpsr | PSR_T : s.cpsr & ~PSR_T);
  w.u32(m + SC_FAULT_ADDRESS, req.info.addr !== undefined && req.info.trapNo !== undefined ? req.info.addr : 0);
  w.u64(UC_SIGMASK, req.savedMask);
  w.bytes.set(vfpBlock(s), UC_REGSPACE);
  return w;
}

/**
 * Build the frame for `req.sig` below the task's stack (or on the alternate stack with
 * SA_ONSTACK) and return the registers that enter the handler: r0 = signal, (r1 = &info,
 * r2 = &uc with SA_SIGINFO), sp = frame, lr = restorer or trampoline, pc = handler in ARM or
 * Thumb state per its bit 0, flags and IT state cleared. Throws BadFrame when it cannot be written.
 */
export function buildSignalFrame(space: AddressSpace, s: CpuContextState, req: FrameRequest): BuiltFrame {
  const { action } = req;
  const rt = (action.flags & SA_SIGINFO) !== 0;
  const sp = s.r[13] >>> 0;
  let top = sp;
  if (action.flags & SA_ONSTACK && altStackFlags(req.altstack, sp) === 0) top = (req.altstack[0] + req.altstack[2]) >>> 0;
  const size = rt ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE;
  const frame = ((top - size) & ~7) >>> 0;
  const sigframe = rt ? frame + SIGINFO_SIZE : frame;
  const uc = ucontext(s, req);
  if (rt) {
    // Linux saves the flags as they were set (not whether sp is on the stack).
    uc.u32(UC_FLAGS, 0).u32(UC_LINK, 0);
    uc.u32(UC_STACK, req.altstack[0])
      .u32(UC_STACK + 4, req.altstack[1])
      .u32(UC_STACK + 8, req.altstack[2]);
  } else {
    uc.u32(UC_FLAGS, NON_RT_UC_FLAGS);
  }
  const handler = action.handler >>> 0;
  const thumb = handler & 1;
  const idx = (thumb << 1) + (rt ? 3 : 0);
  // Linux copies the two words of the trampoline to retcode even when it returns elsewhere.
  const code = new StructWriter(8).u32(0, SIGRETURN_CODES[idx]).u32(4, SIGRETURN_CODES[idx + 1]).bytes;
  const whole = new Uint8Array(size);
  if (rt) whole.set(encodeSigInfo(req.info), 0);
  whole.set(uc.bytes, sigframe - frame);
  whole.set(code, sigframe - frame + UC_SIZE);
  writeChecked(space, frame, whole);
  const lr = action.flags & SA_RESTORER ? action.restorer >>> 0 : (req.sigpage + (idx << 2) + thumb) >>> 0;
  let cpsr = (s.cpsr & ~(PSR_FLAGS | PSR_E | PSR_IT)) >>> 0;
  cpsr = thumb ? cpsr | PSR_T : cpsr & ~PSR_T;
  const r = [...s.r];
  r[0] = req.sig;
  if (rt) {
    r[1] = frame;
    r[2] = sigframe;
  }
  r[13] = frame;
  r[14] = lr;
  // SS_AUTODISARM: the handler runs with no alternate stack (another signal cannot clobber it).
  const altstack: AltStack = req.altstack[1] & SS_AUTODISARM ? [0, SS_DISABLE, 0] : [...req.altstack];
  return {
    state: { ...s, r, cpsr: cpsr >>> 0, fpscr: (s.fpscr & ~FPSCR_LEN_STRIDE) >>> 0, pc: thumb ? handler : handler & ~1, exclusive: undefined },
    altstack,
    frame,
  };
}

/** What sigreturn takes back: the registers, the mask, and (rt only) the alternate stack. */
export interface ReturnedFrame {
  state: CpuContextState;
  mask: bigint;
  /** uc_stack of an RT frame: sp, flags, size. */
  ucStack?: AltStack;
}

/**
 * Undo the frame at the task's sp for sigreturn (`rt` false) or rt_sigreturn: registers, CPSR
 * flags and Thumb state, VFP state and mask. The CPSR can only come back in user mode with
 * interrupts enabled: anything else is refused (BadFrame) as Linux's valid_user_regs does, so a
 * forged frame cannot raise privilege.
 */
export function restoreSignalFrame(space: AddressSpace, s: CpuContextState, rt: boolean): ReturnedFrame {
  const sp = s.r[13] >>> 0;
  if (sp & 7) throw new BadFrame('sigreturn with a misaligned stack pointer');
  const size = rt ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE;
  if (!space.isMapped(sp, size, PROT_READ)) throw new BadFrame(`sigreturn frame at 0x${sp.toString(16)} is not readable`);
  const uc = rt ? sp + SIGINFO_SIZE : sp;
  const b = space.read(uc, UC_SIZE);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (off: number) => dv.getUint32(off, true);
  const mask = dv.getBigUint64(UC_SIGMASK, true);
  const m = UC_MCONTEXT;
  const r = Array.from({ length: 15 }, (_, i) => u32(m + SC_R0 + i * 4));
  let cpsr = u32(m + SC_CPSR) & ~(PSR_F | PSR_A);
  const valid = (cpsr & PSR_I) === 0 && (cpsr & MODE_MASK) === USR_MODE;
  cpsr = (cpsr & PSR_USER_SETTABLE & ~PSR_E) | USR_MODE;
  if (!valid) throw new BadFrame('sigreturn frame asks for a privileged CPU mode');
  const thumb = (cpsr & PSR_T) !== 0;
  const rawPc = u32(m + SC_PC);
  const pc = thumb ? (rawPc | 1) >>> 0 : (rawPc & ~3) >>> 0;
  const vfp = UC_REGSPACE;
  if (u32(vfp) !== VFP_MAGIC || u32(vfp + 4) !== VFP_STORAGE_SIZE) throw new BadFrame('sigreturn frame has no VFP block');
  const d = Array.from({ length: 32 }, (_, i) =>
    dv
      .getBigUint64(vfp + 8 + i * 8, true)
      .toString(16)
      .padStart(16, '0'),
  );
  const fpexc = ((u32(vfp + VFP_FPEXC) | FPEXC_EN) & ~(FPEXC_EX | FPEXC_FP2V)) >>> 0;
  const out: ReturnedFrame = {
    state: { ...s, r, cpsr: cpsr >>> 0, pc, d, fpscr: u32(vfp + VFP_FPSCR), fpexc, exclusive: undefined },
    mask,
  };
  if (rt) out.ucStack = [u32(UC_STACK), u32(UC_STACK + 4), u32(UC_STACK + 8)];
  return out;
}

/** The size of the frame a handler with `flags` gets (for tests and stack checks). */
export function frameSize(flags: number): number {
  return flags & SA_SIGINFO ? RT_SIGFRAME_SIZE : SIGFRAME_SIZE;
}

/** Bytes of sigset_t in uc_sigmask that the kernel reads and writes. */
export const UC_SIGMASK_BYTES = SIGSET_SIZE;
