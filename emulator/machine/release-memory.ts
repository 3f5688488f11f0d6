/**
 * Giving closed machines' guest memory back to the system. Each machine's 4 GiB SharedArrayBuffer
 * lives until V8 collects it, and a process holding a few of them awaiting collection can no
 * longer start child processes (fork fails with ENOMEM). Commands that build many machines in
 * turn collect garbage explicitly after closing them.
 */
import * as v8 from 'v8';
import * as vm from 'vm';

let collect: (() => void) | undefined;

/** Run a full garbage collection now. */
export function releaseClosedMachines(): void {
  if (!collect) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) collect = exposed;
    else {
      // Node only offers gc() with --expose-gc; the flag can be set at run time for new contexts.
      v8.setFlagsFromString('--expose-gc');
      collect = vm.runInNewContext('gc') as () => void;
    }
  }
  collect();
}
