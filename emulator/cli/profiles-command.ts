/** `clonecloud profiles`: list device profiles. */
import { allProfiles, DEFAULT_PROFILE } from '../model/profiles';
import { printJson, table } from './output';

/** Options of the profiles command. */
export interface ProfilesOptions {
  json?: boolean;
  profileFile?: string;
}

/** Print the built-in profiles and those of --profile-file. */
export function profilesCommand(opts: ProfilesOptions): number {
  const list = allProfiles(opts.profileFile);
  if (opts.json) {
    printJson(list);
    return 0;
  }
  const rows = list.map((p) => [
    p.id + (p.id === DEFAULT_PROFILE ? ' *' : ''),
    p.kind,
    `${(p.clockHz / 1e6).toFixed(0)} MHz`,
    p.ipc.toFixed(2),
    String(p.cores),
    formatBytes(p.ramBytes),
    formatBytes(p.storageBytes),
    `${p.cpuActiveW} / ${p.cpuIdleW} W`,
    p.name,
  ]);
  process.stdout.write(table(['id', 'kind', 'clock', 'IPC', 'cores', 'RAM', 'storage', 'CPU busy/idle', 'device'], rows));
  process.stdout.write(`* default profile. Sources: clonecloud profiles --json (field "source").\n`);
  return 0;
}

/** 192 MB, 4 GB: binary units, as device RAM is quoted. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GB`;
  return `${+(n / 2 ** 20).toFixed(0)} MB`;
}
