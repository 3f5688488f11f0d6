/**
 * The one version of the checkpoint format, `major.minor`. It covers everything a checkpoint
 * holds: the manifest, the root machine state and each part's state in it (CPU contexts, thread
 * group, tasks, descriptor table, consoles, writable file-system layer, clock, randomness,
 * syscall counts, memory map) and the page-table encoding. Any change to one of those types needs
 * a bump here: the minor for an addition an older reader of the same major may ignore, the major
 * for anything an older reader would get wrong.
 */
import { CloneCloudError } from '../errors';

/** The version this build writes. */
export const SNAPSHOT_VERSION = '2.4';

/** A checkpoint's version is one this build cannot read; the message says what to do. */
export class SnapshotVersionError extends CloneCloudError {}

/** [major, minor] of a `major.minor` string, or undefined when it is not one. */
function parse(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Accept `version` when it has this build's major and a minor up to this build's; refuse
 * anything else with SnapshotVersionError naming `what`.
 */
export function checkSnapshotVersion(version: unknown, what: string): void {
  const [major, minor] = parse(SNAPSHOT_VERSION)!;
  const got = typeof version === 'string' ? parse(version) : undefined;
  if (got && got[0] === major && got[1] <= minor) return;
  const shown = typeof version === 'string' ? version : JSON.stringify(version);
  const newer = got !== undefined && (got[0] > major || (got[0] === major && got[1] > minor));
  const todo = newer ? 'restore it with a newer clonecloud' : 'restore it with the clonecloud release that wrote it';
  throw new SnapshotVersionError(`${what} has snapshot version ${shown}; this clonecloud reads ${major}.0 to ${SNAPSHOT_VERSION}: ${todo}`);
}
