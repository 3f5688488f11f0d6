/**
 * What happens to a signal the process sends itself (kill, tgkill, a write to a broken pipe):
 * it is generated with the sender's pid and uid (signal-delivery.ts keeps it pending, drops it
 * when ignored, and delivers it before the task runs user code again).
 */
import { sendFromSelf, SI_USER } from './signal-delivery';
import type { Task } from './task';

export { discardIfIgnored, isIgnored, setOf, sigBit, wordsOf } from './signal-delivery';

/** Generate `sig` for task `t` as a signal it sent itself (si_code `code`, SI_USER by default). */
export function postSignal(t: Task, sig: number, code = SI_USER): void {
  sendFromSelf(t, sig, code);
}
