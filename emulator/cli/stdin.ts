/** The guest's standard input for boot and restore: the host's own by default, or a named file. */
import * as fs from 'fs';
import { UsageError } from '../errors';
import { fdInput, InputSource } from '../kernel/console';

/**
 * The input behind `--stdin <file>`, or the host's standard input when no file is named. Nothing
 * is opened or read until the guest reads (a FIFO's open would wait for a writer), but the file
 * is checked now so a typo fails before the run.
 */
export function guestStdin(file: string | undefined): InputSource {
  if (file === undefined) return fdInput(0, false);
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new UsageError(`--stdin ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new UsageError(`--stdin ${file}: is a folder, not a file`);
  let source: InputSource | undefined;
  return {
    read(dst, consumed) {
      // A regular file is read at the guest's position, so a restored run continues where it stopped.
      source ??= fdInput(fs.openSync(file, 'r'), st.isFile());
      return source.read(dst, consumed);
    },
  };
}
