/** Unicorn 2.1 constants used by clonecloud (values from unicorn/unicorn.h and unicorn/arm.h). */
export const UC_ARCH_ARM = 1;
export const UC_MODE_ARM = 0;
export const UC_MODE_THUMB = 16;
export const UC_CPU_ARM_CORTEX_A15 = 17;

export const UC_HOOK_INTR = 1;

/** ARM register ids. */
export const Reg = {
  CPSR: 3,
  FPEXC: 4,
  FPSCR: 6,
  LR: 10,
  PC: 11,
  SP: 12,
  D0: 14,
  R0: 66,
  C13_C0_3: 113,
  CP_REG: 139,
} as const;

/** Register id of r0..r12 (r13-r15 are SP, LR, PC). */
export function coreReg(n: number): number {
  if (n === 13) return Reg.SP;
  if (n === 14) return Reg.LR;
  if (n === 15) return Reg.PC;
  return Reg.R0 + n;
}

/** Register id of d0..d31. */
export function dReg(n: number): number {
  return Reg.D0 + n;
}

/** uc_err values that end emulation because of the guest. */
export const UcErr = {
  OK: 0,
  READ_UNMAPPED: 6,
  WRITE_UNMAPPED: 7,
  FETCH_UNMAPPED: 8,
  INSN_INVALID: 10,
  WRITE_PROT: 12,
  READ_PROT: 13,
  FETCH_PROT: 14,
  READ_UNALIGNED: 16,
  WRITE_UNALIGNED: 17,
  FETCH_UNALIGNED: 18,
  EXCEPTION: 21,
} as const;

/** uc_mem_type values as recorded by the TLB-fill callback. */
export const UC_MEM_READ = 16;
export const UC_MEM_WRITE = 17;
export const UC_MEM_FETCH = 18;

/** CPSR Thumb bit. */
export const CPSR_T = 1 << 5;
