/** The text of /proc/PID/maps for an address space, laid out as a 32-bit ARM Linux kernel prints it. */
import { PROT_EXEC, PROT_READ, PROT_WRITE, Region } from './address-space';

/** The region names mmap gives anonymous memory, private and shared (kernel/syscalls/memory.ts). */
const ANON_NAME = '[anon]';
const SHARED_ANON_NAME = '[anon:shared]';

/** Where the path column starts: fs/proc/task_mmu.c pads the header to 25 + 6·sizeof(void *) - 1 (48 on ARM) and adds a space. */
const NAME_COLUMN = 48;

/**
 * One line per region: addresses, permissions, file offset, device, inode and name. Anonymous
 * mappings have no name; shared ones are marked 's'. Offsets, devices and inodes are not tracked
 * per region, so they read as 0 (what Linux shows for anonymous memory).
 */
export function mapsText(regions: readonly Region[]): string {
  return regions
    .map((r) => {
      const shared = r.name === SHARED_ANON_NAME;
      const perms = `${r.prot & PROT_READ ? 'r' : '-'}${r.prot & PROT_WRITE ? 'w' : '-'}${r.prot & PROT_EXEC ? 'x' : '-'}${shared ? 's' : 'p'}`;
      const head = `${hex8(r.start)}-${hex8(r.end)} ${perms} 00000000 00:00 0 `;
      const name = shared ? '/dev/zero (deleted)' : r.name === ANON_NAME ? '' : r.name;
      return name ? `${head.padEnd(NAME_COLUMN)} ${name}\n` : `${head}\n`;
    })
    .join('');
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
