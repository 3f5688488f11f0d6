/** Errors of the checkpoint engine and its store. */
import { CloneCloudError } from '../errors';

/** A checkpoint record or store file is not in a format this version reads. */
export class CheckpointFormatError extends CloneCloudError {}

/** Stored data does not match its hash: names the checkpoint and page (or block) affected. */
export class StoreDamageError extends CloneCloudError {}

/** A checkpoint id is unknown, or an operation on the store cannot be done. */
export class StoreError extends CloneCloudError {}

// Defined with the base errors, since the machine (a layer below snapshots) raises it too.
export { CheckpointError } from '../errors';
