/** `clonecloud clone serve` (the clone server) and `clonecloud clones` (the mirrors it holds). */
import * as path from 'path';
import { CloneServer, formatEvent, ServerEvent } from '../clone/server';
import { connectClone, MirrorListing, parseAddress } from '../link/clone-client';
import { formatAddress } from '../link/connection';
import { createTokenFileIfMissing, readTokenFile } from '../link/token-file';
import { findProfile } from '../model/profiles';
import { printJson, table } from './output';

/** Options of `clone serve`. */
export interface CloneServeOptions {
  listen: string;
  profile: string;
  profileFile?: string;
  store: string;
  tokenFile: string;
  jsonLog?: boolean;
}

/** Serve phones until SIGTERM or SIGINT; exit code 0 after a clean stop. */
export async function cloneServeCommand(opts: CloneServeOptions): Promise<number> {
  const { host, port } = parseAddress(opts.listen);
  const profile = findProfile(opts.profile, opts.profileFile);
  if (createTokenFileIfMissing(opts.tokenFile)) {
    process.stdout.write(`created token file ${opts.tokenFile} (32 random bytes as hex, mode 0600): give the phone a copy\n`);
  }
  const token = readTokenFile(opts.tokenFile);
  const log = opts.jsonLog
    ? (e: ServerEvent) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...e }) + '\n')
    : (e: ServerEvent) => process.stdout.write(`${new Date().toISOString()} ${formatEvent(e)}\n`);
  const server = await CloneServer.start({ store: opts.store, token, host, port, log, profile });
  const mirrors = server.listing().length;
  process.stdout.write(`clone ${profile.id} (${profile.name}), store ${path.resolve(opts.store)}: ${mirrors} mirror${mirrors === 1 ? '' : 's'}\n`);
  process.stdout.write(`listening on ${formatAddress(server.host, server.port)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  await server.close();
  process.stdout.write('stopped\n');
  return 0;
}

/** Options of `clones`. */
export interface ClonesOptions {
  clone: string;
  tokenFile: string;
  json?: boolean;
}

/** List the phones the clone mirrors: last sync, pages, bytes, memory hash. */
export async function clonesCommand(opts: ClonesOptions): Promise<number> {
  const { host, port } = parseAddress(opts.clone);
  const token = readTokenFile(opts.tokenFile);
  const client = await connectClone({ host, port, token, timeoutMs: 30_000 });
  let list: MirrorListing[];
  try {
    list = await client.listMirrors();
  } finally {
    await client.close();
  }
  if (opts.json) {
    printJson(list);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`the clone at ${formatAddress(host, port)} mirrors no phone yet\n`);
    return 0;
  }
  const rows = list.map((m) => [
    m.phoneId,
    m.lastSync ?? '-',
    m.syncedAt ?? '-',
    String(m.pages),
    String(m.bytes),
    m.memoryHash ?? '-',
    m.filesSync ?? '-',
    m.filesSyncedAt ?? '-',
  ]);
  process.stdout.write(table(['phone', 'last sync', 'synced at', 'pages', 'bytes', 'memory hash', 'last file sync', 'files synced at'], rows));
  return 0;
}
