/**
 * The child process of probeStore: opens the store read-only and reads every key and value of
 * every database, so that a damaged LMDB file crashes this process rather than the caller.
 * Exit codes: 0 readable; 3 a typed error whose message is on stderr. A signal means LMDB crashed.
 */
import { CloneCloudError } from '../errors';
import { openStoreEnv } from './store-env';

async function main(dir: string): Promise<number> {
  try {
    const dbs = openStoreEnv(dir, { create: false, readOnly: true });
    // The main database also names the sub-databases (values that are not JSON): keys only there.
    for (const key of dbs.root.getKeys()) void key;
    for (const db of [dbs.pages, dbs.records, dbs.tables, dbs.extras, dbs.order]) {
      // Touch every branch and leaf page: keys and values, without keeping them.
      for (const entry of db.getRange()) void entry.value;
    }
    await dbs.root.close();
    return 0;
  } catch (e) {
    if (!(e instanceof CloneCloudError)) throw e;
    process.stderr.write(e.message);
    return 3;
  }
}

void main(process.argv[2]).then((code) => (process.exitCode = code));
