/**
 * The child process of createStore: makes a new, complete store in the (private, empty) folder it
 * is given, closes it and exits, so the parent can move a finished store into place.
 * Exit codes: 0 created; 3 a typed error whose message is on stderr.
 */
import { CloneCloudError } from '../errors';
import { initStoreEnv } from './store-env';

async function main(dir: string): Promise<number> {
  try {
    await initStoreEnv(dir);
    return 0;
  } catch (e) {
    process.stderr.write(e instanceof CloneCloudError ? e.message : `cannot create a checkpoint store in ${dir}: ${(e as Error).message}`);
    return 3;
  }
}

void main(process.argv[2]).then((code) => (process.exitCode = code));
