/**
 * Root hooks. Each guest address space reserves 4 GiB of committed memory; the kernel refuses to
 * fork a process whose commitments exceed RAM + swap, so spawning qemu-arm or the compiler fails
 * once a few dead address spaces wait for the garbage collector. Collect after every test.
 */
export const mochaHooks = {
  afterEach(): void {
    (globalThis as { gc?: () => void }).gc?.();
  },
};
