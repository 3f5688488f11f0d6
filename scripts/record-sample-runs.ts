/**
 * Records what each sample image prints, retires and leaves in memory into
 * spec/fixtures/sample-runs.json, the reference spec/refactor/sample-runs.spec.ts holds the code to.
 * Re-record only when a change is meant to alter guest-visible behaviour, and say why in the commit.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runSample, SAMPLE_IMAGES, SampleRun } from '../spec/support/sample-runs';

const out = path.resolve(__dirname, '..', '..', 'spec', 'fixtures', 'sample-runs.json');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-samples-'));
try {
  const runs: Record<string, SampleRun> = {};
  for (const name of SAMPLE_IMAGES) {
    runs[name] = runSample(name, scratch);
    process.stderr.write(`${name}: ${runs[name].instructions} instructions, memory ${runs[name].memoryHash}\n`);
  }
  fs.writeFileSync(out, JSON.stringify(runs, null, 2) + '\n');
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
