/**
 * The ARM Linux kernel user helpers: a read-only, executable page at 0xffff0000 whose last 160
 * bytes hold small routines user programs may call at fixed addresses (Documentation/arm/
 * kernel_user_helpers.rst in the Linux sources): __kuser_cmpxchg64 (0xffff0f60),
 * __kuser_memory_barrier (0xffff0fa0), __kuser_cmpxchg (0xffff0fc0), __kuser_get_tls (0xffff0fe0),
 * and the helper count __kuser_helper_version (0xffff0ffc, 5). Go's ARM runtime, for one, calls
 * them. The routines are ARMv7 code (LDREX/STREX, DMB, the TPIDRURO register), assembled here.
 */
import { AddressSpace, PAGE_SIZE, PROT_EXEC, PROT_READ } from '../memory/address-space';

/** The page's address. */
export const KUSER_PAGE = 0xffff0000;

/** Helper entry points and the words at each (ARM state, little-endian). */
const HELPERS: [number, number[]][] = [
  // __kuser_cmpxchg64(const s64 *old, const s64 *new, volatile s64 *ptr): 0 and C set if stored.
  [
    0xf60,
    [
      0xe92d00f0, // push {r4-r7}
      0xe1c040d0, // ldrd r4, r5, [r0]
      0xe1c160d0, // ldrd r6, r7, [r1]
      0xe1b20f9f, // 1: ldrexd r0, r1, [r2]
      0xe0303004, // eors r3, r0, r4
      0x00313005, // eorseq r3, r1, r5
      0x01a23f96, // strexdeq r3, r6, r7, [r2]
      0x03330001, // teqeq r3, #1       (the store lost the monitor: try again)
      0x0afffff9, // beq 1b
      0xe8bd00f0, // pop {r4-r7}
      0xe2730000, // rsbs r0, r3, #0    (0 with C set when stored, else non-zero with C clear)
      0xe12fff1e, // bx lr
    ],
  ],
  // __kuser_memory_barrier(void)
  [0xfa0, [0xf57ff05b /* dmb ish */, 0xe12fff1e /* bx lr */]],
  // __kuser_cmpxchg(int old, int new, volatile int *ptr): 0 and C set if stored.
  [
    0xfc0,
    [
      0xe1923f9f, // 1: ldrex r3, [r2]
      0xe0533000, // subs r3, r3, r0
      0x01823f91, // strexeq r3, r1, [r2]
      0x03330001, // teqeq r3, #1
      0x0afffffa, // beq 1b
      0xe2730000, // rsbs r0, r3, #0
      0xe12fff1e, // bx lr
    ],
  ],
  // __kuser_get_tls(void): the value set_tls stored (TPIDRURO).
  [0xfe0, [0xee1d0f70 /* mrc p15, 0, r0, c13, c0, 3 */, 0xe12fff1e /* bx lr */]],
  // __kuser_helper_version: the number of 32-byte helper slots.
  [0xffc, [5]],
];

/** Map the helper page, as the kernel does for every process. */
export function mapKuserHelpers(space: AddressSpace): void {
  const page = new Uint8Array(PAGE_SIZE);
  const view = new DataView(page.buffer);
  for (const [offset, words] of HELPERS) words.forEach((w, i) => view.setUint32(offset + i * 4, w, true));
  space.map(KUSER_PAGE, PAGE_SIZE, PROT_READ | PROT_EXEC, 'vectors', '[vectors]');
  space.poke(KUSER_PAGE, page);
}
