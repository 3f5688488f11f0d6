/** Linux futex(2) operations. */

/** The command part of the op word (the rest are FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME). */
export const FUTEX_CMD_MASK = 0x7f;
export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
/** The op word's flags. */
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
/** FUTEX_WAIT_BITSET's "any bit" mask. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;
