/**
 * Typed errors. Every error a user can see derives from CloneCloudError and carries a message
 * that says what went wrong and, where possible, what to do about it.
 */

/** Base class of every error clonecloud raises on purpose. */
export class CloneCloudError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A phone image, its manifest or its ELF program cannot be used. */
export class ImageError extends CloneCloudError {}

/** A Unicorn API call failed; `code` is Unicorn's uc_err value. */
export class UnicornError extends CloneCloudError {
  constructor(
    readonly call: string,
    readonly code: number,
    detail: string,
  ) {
    super(`unicorn ${call} failed: ${detail} (uc_err ${code})`);
  }
}

/** The native helper or libunicorn is missing or unusable. */
export class SetupError extends CloneCloudError {}

/** A device profile is unknown or malformed. */
export class ProfileError extends CloneCloudError {}

/** Bad command-line usage. */
export class UsageError extends CloneCloudError {}

/** A checkpoint cannot be taken or restored in the current state (says why). */
export class CheckpointError extends CloneCloudError {}

/** Details of a fault raised by the guest program. */
export interface GuestFaultInfo {
  kind: string;
  /** The signal Linux would kill the process with: SIGILL, SIGTRAP, SIGBUS or SIGSEGV. */
  signal?: number;
  pc: number;
  mode: 'arm' | 'thumb';
  address?: number;
  instruction?: string;
  lastSyscalls: string[];
  detail: string;
}

/** The guest program faulted (unmapped access, undefined instruction, bad syscall argument). */
export class GuestFault extends CloneCloudError {
  constructor(readonly info: GuestFaultInfo) {
    super(GuestFault.describe(info));
  }

  /** Render the fault as one line a person can act on. */
  static describe(i: GuestFaultInfo): string {
    const hex = (n: number) => '0x' + (n >>> 0).toString(16).padStart(8, '0');
    const parts = [`guest fault: ${i.kind} at pc ${hex(i.pc)} (${i.mode})`];
    if (i.address !== undefined) parts.push(`address ${hex(i.address)}`);
    if (i.instruction) parts.push(`instruction ${i.instruction}`);
    parts.push(i.detail);
    parts.push(`last syscalls: ${i.lastSyscalls.length ? i.lastSyscalls.join(', ') : 'none'}`);
    return parts.join('; ');
  }
}
