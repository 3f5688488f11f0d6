/** Turning a stopped engine into a GuestFaultInfo a person can act on. */
import { SIGBUS, SIGILL, SIGSEGV, SIGTRAP } from '../abi/signal';
import { GuestFaultInfo } from '../errors';
import { AddressSpace, PAGE_MAPPED, PROT_EXEC, PROT_READ } from '../memory/address-space';
import { UC_MEM_FETCH, UC_MEM_WRITE, UcErr } from '../unicorn/constants';

/** Interrupt numbers QEMU's ARM target raises (target/arm/cpu.h EXCP_*). */
export const EXCP_UDEF = 1;
export const EXCP_SWI = 2;
export const EXCP_PREFETCH_ABORT = 3;
export const EXCP_DATA_ABORT = 4;
export const EXCP_BKPT = 7;

/** Bytes of the Thumb instruction at `addr`: a first halfword 0b11101, 0b11110 or 0b11111 starts a 32-bit one. */
export function thumbInstructionSize(mem: Uint8Array, addr: number): number {
  return mem[addr + 1] >>> 3 >= 0x1d ? 4 : 2;
}

/** Bytes of the instruction at `pc`, as hex, when its page can be read. */
export function instructionText(space: AddressSpace, pc: number, thumb: boolean): string | undefined {
  const readable = (a: number, n: number) => space.isMapped(a, n, PROT_READ) || space.isMapped(a, n, PROT_EXEC);
  const hw = (a: number) => space.bytes[a] | (space.bytes[a + 1] << 8);
  if (thumb) {
    if (!readable(pc, 2)) return undefined;
    const first = hw(pc);
    const wide = thumbInstructionSize(space.bytes, pc) === 4;
    if (wide && readable(pc + 2, 2)) return `${hex(first, 4)} ${hex(hw(pc + 2), 4)} (thumb-2)`;
    return `${hex(first, 4)} (thumb)`;
  }
  if (!readable(pc, 4)) return undefined;
  return `${hex(((hw(pc + 2) << 16) | hw(pc)) >>> 0, 8)} (arm)`;
}

function hex(v: number, width: number): string {
  return (v >>> 0).toString(16).padStart(width, '0');
}

/** What a refused memory access was, in words. */
function accessWords(type: number, perms: number): string {
  const what = type === UC_MEM_WRITE ? 'write to' : type === UC_MEM_FETCH ? 'instruction fetch from' : 'read of';
  const state = perms & PAGE_MAPPED ? 'a protected page' : 'unmapped memory';
  return `${what} ${state}`;
}

/** Inputs describing how emulation stopped. */
export interface StopEvidence {
  ucErr: number;
  ucErrText: string;
  intno?: number;
  pc: number;
  thumb: boolean;
  refusal: { address: number; type: number; perms: number };
  lastSyscalls: string[];
}

/** Describe a fault from the engine's error code, the interrupt number and the TLB refusal record. */
export function describeFault(space: AddressSpace, ev: StopEvidence): GuestFaultInfo {
  const base = {
    pc: ev.pc,
    mode: ev.thumb ? ('thumb' as const) : ('arm' as const),
    instruction: instructionText(space, ev.pc, ev.thumb),
    lastSyscalls: ev.lastSyscalls,
  };
  const refused = ev.refusal.type !== 0;
  if (ev.intno === EXCP_UDEF || ev.ucErr === UcErr.INSN_INVALID) {
    return { ...base, kind: 'undefined instruction', signal: SIGILL, detail: 'the CPU model cannot execute this instruction (SIGILL)' };
  }
  if (ev.intno === EXCP_BKPT) {
    return { ...base, kind: 'breakpoint', signal: SIGTRAP, detail: 'the program executed BKPT (SIGTRAP)' };
  }
  if (refused) {
    return {
      ...base,
      kind: 'segmentation fault',
      signal: SIGSEGV,
      address: ev.refusal.address,
      detail: accessWords(ev.refusal.type, ev.refusal.perms) + ' (SIGSEGV)',
    };
  }
  // A data abort the TLB did not cause is an alignment fault (an unaligned LDREX, for one).
  if (ev.ucErr === UcErr.READ_UNALIGNED || ev.ucErr === UcErr.WRITE_UNALIGNED || ev.ucErr === UcErr.FETCH_UNALIGNED || ev.intno === EXCP_DATA_ABORT) {
    return { ...base, kind: 'alignment fault', signal: SIGBUS, detail: `${ev.ucErrText || 'unaligned access'} (SIGBUS)` };
  }
  const why = ev.intno !== undefined ? `CPU exception ${ev.intno}` : ev.ucErrText;
  return { ...base, kind: 'CPU exception', signal: SIGSEGV, detail: why };
}
