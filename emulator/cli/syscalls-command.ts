/** `clonecloud syscalls`: what the kernel layer serves, syscall by syscall. */
import { syscallCoverage } from '../kernel/kernel';
import { printJson, table } from './output';

/** Options of the syscalls command. */
export interface SyscallsOptions {
  json?: boolean;
}

/** Print every syscall the ARM EABI table names with its number, support level and note. */
export function syscallsCommand(opts: SyscallsOptions): number {
  const list = syscallCoverage();
  if (opts.json) {
    printJson(list);
    return 0;
  }
  // The ARM-private calls (0xf0000 and up) read better in hex, as in asm/unistd.h.
  const rows = list.map((s) => [s.nr >= 0xf0000 ? '0x' + s.nr.toString(16) : String(s.nr), s.name, s.level, s.note ?? '']);
  process.stdout.write(table(['nr', 'name', 'level', 'note'], rows));
  const count = (level: string) => list.filter((s) => s.level === level).length;
  process.stdout.write(
    `${count('supported')} supported, ${count('partial')} partial, ${count('unsupported')} not supported (ENOSYS unless the note says otherwise)\n`,
  );
  return 0;
}
