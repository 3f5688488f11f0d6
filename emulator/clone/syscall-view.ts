/** The syscall a stopped machine is about to serve, as phone-only.ts looks at it. */
import { Machine } from '../machine/machine';
import { SyscallView } from './phone-only';

/** The syscall `nr` the machine stands at: its argument registers, working directory, strings and descriptors. */
export function syscallView(machine: Machine, nr: number): SyscallView {
  return {
    nr,
    args: [0, 1, 2, 3, 4, 5].map((i) => machine.engine.r(i) >>> 0),
    cwd: machine.kernel.group.cwd,
    readString: (addr) => {
      try {
        return machine.space.readCString(addr);
      } catch {
        return undefined;
      }
    },
    fdPath: (fd) => (machine.kernel.fds.has(fd) ? machine.kernel.fds.get(fd).file.path : undefined),
  };
}
