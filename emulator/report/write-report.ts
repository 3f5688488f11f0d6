/** Writing the run report to the file `--report` names, and the syncs it needs gathered during the run. */
import * as fs from 'fs';
import { CloneCloudError } from '../errors';
import { SyncReport } from '../runtime/replicator';
import { renderRunReport, RunReportInput } from './run-report';

/** The report could not be written (the run itself went through). */
export class ReportWriteError extends CloneCloudError {}

/** Gathers what the report needs while the run goes on: each acknowledged sync. */
export class ReportCollector {
  readonly syncs: SyncReport[] = [];

  /** Feed to the Replicator's onSync. */
  readonly onSync = (r: SyncReport): void => {
    this.syncs.push(r);
  };
}

/** Render the report and write it to `file`; a failure to write is a ReportWriteError that says where and why. */
export async function writeRunReport(file: string, input: RunReportInput): Promise<void> {
  const html = await renderRunReport(input);
  try {
    fs.writeFileSync(file, html);
  } catch (e) {
    throw new ReportWriteError(`could not write the report to ${file}: ${(e as Error).message}; give --report a path in a writable folder`);
  }
}
