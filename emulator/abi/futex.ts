/** Linux futex(2) operations. */

/** The command part of the op word (the rest are FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME). */
export const FUTEX_CMD_MASK = 0x7f;
export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
