/**
 * The wire protocol's version, `major.minor`, with the snapshot version's rule: a reader accepts
 * a peer of its own major and a minor up to its own (a minor adds what an older peer may ignore,
 * a major changes what an older peer would get wrong).
 */
import { ErrorCode, ProtocolError } from './errors';

/** The version this build speaks. */
export const PROTOCOL_VERSION = '1.2';

/** [major, minor] of a `major.minor` string, or undefined when it is not one. */
export function parseVersion(v: string): [number, number] | undefined {
  const m = /^(\d{1,6})\.(\d{1,6})$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/**
 * Accept a peer's `version` when it has `own`'s major and a minor up to `own`'s; refuse anything
 * else with a one-line ProtocolError (code Version) that tells the user which side to upgrade.
 */
export function checkPeerVersion(version: string, own = PROTOCOL_VERSION): void {
  const [major, minor] = parseVersion(own)!;
  const got = parseVersion(version);
  if (got && got[0] === major && got[1] <= minor) return;
  const newer = got !== undefined && (got[0] > major || (got[0] === major && got[1] > minor));
  const todo = newer ? 'upgrade clonecloud on this side' : 'upgrade clonecloud on the other side';
  throw new ProtocolError(ErrorCode.Version, `peer speaks wire protocol ${JSON.stringify(version)}; this clonecloud speaks ${major}.0 to ${own}: ${todo}`);
}

/** Accept a peer of `own`'s major whatever its minor (the side that answers speaks the asker's minor). */
export function checkPeerMajor(version: string, own = PROTOCOL_VERSION): void {
  const got = parseVersion(version);
  if (got && got[0] === parseVersion(own)![0]) return;
  throw new ProtocolError(ErrorCode.Version, `peer speaks wire protocol ${JSON.stringify(version)}; this clonecloud speaks ${own}: upgrade the older side`);
}
