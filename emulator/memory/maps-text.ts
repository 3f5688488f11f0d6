/** The text of /proc/PID/maps for an address space, laid out as a 32-bit ARM Linux kernel prints it. */
import { ANON_NAME, PROT_EXEC, PROT_READ, PROT_WRITE, Region, SHARED_ANON_NAME } from './address-space';

/** Where the path column starts: fs/proc/task_mmu.c pads the header to 25 + 6·sizeof(void *) - 1 (48 on ARM) and adds a space. */
const NAME_COLUMN = 48;

/**
 * One line per region: addresses, permissions, file offset, device, inode and name. Anonymous
 * mappings have no name; shared ones are marked 's'. A region mapped from a file by mmap shows
 * the file's offset, device and inode; the program's and the loader's segments (loaded by exec)
 * and anonymous memory show 0 for them.
 */
export function mapsText(regions: readonly Region[]): string {
  return regions
    .map((r) => {
      const sharedAnon = r.name === SHARED_ANON_NAME;
      const shared = sharedAnon || r.backing?.shared === true;
      const perms = `${r.prot & PROT_READ ? 'r' : '-'}${r.prot & PROT_WRITE ? 'w' : '-'}${r.prot & PROT_EXEC ? 'x' : '-'}${shared ? 's' : 'p'}`;
      const head = `${hex8(r.start)}-${hex8(r.end)} ${perms} ${hex8(r.backing?.offset ?? 0)} ${deviceAndInode(r.backing?.key)} `;
      const name = sharedAnon ? '/dev/zero (deleted)' : r.name === ANON_NAME ? '' : r.name;
      return name ? `${head.padEnd(NAME_COLUMN)} ${name}\n` : `${head}\n`;
    })
    .join('');
}

/** "MM:mm inode" from a backing's "dev:ino" key (the kernel's new_encode_dev split), "00:00 0" without one. */
function deviceAndInode(key: string | undefined): string {
  const m = key ? /^(\d+):(\d+)$/.exec(key) : null;
  if (!m) return '00:00 0';
  const dev = Number(m[1]);
  const major = (dev >>> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')} ${m[2]}`;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
