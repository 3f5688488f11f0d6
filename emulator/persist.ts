/**
 * The contract between a machine's stateful parts and snapshots. Each part (CPU context, thread
 * group and tasks, descriptor table, consoles, file-system layer, modelled clock, random
 * generator, syscall trace, address-space map) saves itself as plain JSON-able data of its own
 * type and restores itself from it, so capture and restore gather parts instead of reaching into
 * them. Every persisted type is part of the snapshot format: changing its shape needs a bump of
 * the snapshot version, machine/state-version.ts (major for a change old readers cannot follow, minor for an
 * addition they may ignore).
 */

import { CloneCloudError } from './errors';

/** A part of the machine whose state a snapshot carries. */
export interface Persist<S> {
  /** The part's state as plain data; what restore() takes back. */
  save(): S;
  /** Put the part back exactly where save() found it. */
  restore(state: S): void;
}

/** A part cannot be saved or restored in its current state; the message says why. */
export class PersistError extends CloneCloudError {}
