/**
 * libunicorn 2.1.4 stops with UC_ERR_INSN_INVALID after the YIELD and WFE hints: QEMU turns
 * them into an EXCP_YIELD exit (Unicorn never sets CF_PARALLEL), and Unicorn's ARM
 * `arm_stop_interrupt` treats EXCP_YIELD like an undefined instruction. The PC has already moved
 * past the hint, so the machine resumes there, as Linux and qemu-arm run them: as no-ops.
 */
import { AddressSpace, PROT_EXEC } from '../memory/address-space';

/** Whether the instruction just before `resumePc` (bit 0 set in Thumb state) is YIELD or WFE. */
export function followsYieldHint(space: AddressSpace, resumePc: number): boolean {
  const hw = (a: number): number | undefined => (a >= 0 && space.isMapped(a, 2, PROT_EXEC) ? space.bytes[a] | (space.bytes[a + 1] << 8) : undefined);
  const pc = resumePc & ~1;
  if (resumePc & 1) {
    const narrow = hw(pc - 2);
    // T1 YIELD 0xbf10, WFE 0xbf20; T2 0xf3af 0x8001 / 0x8002.
    if (narrow === 0xbf10 || narrow === 0xbf20) return true;
    return hw(pc - 4) === 0xf3af && (narrow === 0x8001 || narrow === 0x8002);
  }
  const lo = hw(pc - 4);
  const hi = hw(pc - 2);
  if (lo === undefined || hi === undefined) return false;
  // A1: cond 0011 0010 0000 1111 xxxx 0000 0001 (YIELD) / 0010 (WFE), any condition.
  const word = ((hi << 16) | lo) >>> 0;
  const masked = (word & 0x0ffff0ff) >>> 0;
  return masked === 0x0320f001 || masked === 0x0320f002;
}
