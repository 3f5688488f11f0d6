/**
 * The real-program cases expected to differ from qemu-arm today, by cause: what clonecloud still
 * lacks (each is being added), and how the difference shows. A case marked with one of these fails
 * once it matches qemu-arm, and fails if it differs without the sign, so the list cannot rot.
 */

/** Why a case is expected to differ from qemu-arm today, and the sign that shows it. */
export interface KnownDifference {
  /** The missing piece of fidelity (another piece of work is adding it). */
  reason: string;
  /** Found in clonecloud's diagnosis (warnings, fault) or output when the case differs for that reason. */
  sign: RegExp;
}

/** A syscall clonecloud does not implement yet (it returns ENOSYS and says so once). */
function missing(syscall: string, why: string): KnownDifference {
  return { reason: `needs ${syscall}: ${why}`, sign: new RegExp(`unimplemented syscall ${syscall} \\(`) };
}

/** Every known cause, by name. */
export const EXPECTED_DIFFERENT = {
  epoll: missing('epoll_create1', 'the Go runtime opens files for polling through epoll'),
  link: missing('link', 'busybox ln without -s calls link (9)'),
  /** Only when the suite does not run as root. */
  notRoot: {
    reason: 'the host files belong to the test runner, not the modelled phone user 10001 (only root can give them away)',
    sign: /10001|Operation not permitted/,
  },
} satisfies Record<string, KnownDifference>;
