/**
 * Auxiliary vector keys (include/uapi/linux/auxvec.h) and the 32-bit ARM hardware capability
 * bits (arch/arm/include/uapi/asm/hwcap.h) that the C library reads at startup.
 */

export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_BASE = 7;
export const AT_FLAGS = 8;
export const AT_ENTRY = 9;
export const AT_UID = 11;
export const AT_EUID = 12;
export const AT_GID = 13;
export const AT_EGID = 14;
export const AT_PLATFORM = 15;
export const AT_HWCAP = 16;
export const AT_CLKTCK = 17;
export const AT_SECURE = 23;
export const AT_RANDOM = 25;
export const AT_HWCAP2 = 26;
export const AT_EXECFN = 31;

export const HWCAP_SWP = 1 << 0;
export const HWCAP_HALF = 1 << 1;
export const HWCAP_THUMB = 1 << 2;
export const HWCAP_FAST_MULT = 1 << 4;
export const HWCAP_VFP = 1 << 6;
export const HWCAP_EDSP = 1 << 7;
export const HWCAP_NEON = 1 << 12;
export const HWCAP_VFPv3 = 1 << 13;
export const HWCAP_TLS = 1 << 15;
export const HWCAP_VFPv4 = 1 << 16;
export const HWCAP_IDIVA = 1 << 17;
export const HWCAP_IDIVT = 1 << 18;
export const HWCAP_LPAE = 1 << 20;

/** What a Cortex-A7/A15-class ARMv7 phone CPU reports, which is what the emulated CPU implements. */
export const DEFAULT_HWCAP =
  HWCAP_SWP |
  HWCAP_HALF |
  HWCAP_THUMB |
  HWCAP_FAST_MULT |
  HWCAP_VFP |
  HWCAP_EDSP |
  HWCAP_NEON |
  HWCAP_VFPv3 |
  HWCAP_TLS |
  HWCAP_VFPv4 |
  HWCAP_IDIVA |
  HWCAP_IDIVT |
  HWCAP_LPAE;

/** ELF_PLATFORM on a little-endian ARMv7 kernel. */
export const DEFAULT_PLATFORM = 'v7l';
/** USER_HZ: the unit of times() and /proc tick counts. */
export const CLOCK_TICKS = 100;
