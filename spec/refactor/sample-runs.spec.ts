/**
 * The sample images keep printing the same bytes, retiring the same instruction counts and ending
 * with the same memory hashes as recorded in spec/fixtures/sample-runs.json: restructuring the
 * code must not change what a guest sees.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { runSample, SAMPLE_IMAGES, SampleRun } from '../support/sample-runs';
import { tempDir } from '../support/toolchain';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'spec', 'fixtures', 'sample-runs.json');

describe('sample images against their recorded runs', function () {
  this.timeout(180_000);
  const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, SampleRun>;

  for (const name of SAMPLE_IMAGES) {
    it(`${name}: same output, instruction count and memory hash`, () => {
      const want = recorded[name];
      assert.ok(want, `no recorded run for ${name}`);
      const got = runSample(name, tempDir());
      assert.equal(
        got.elf,
        want.elf,
        `${name}'s program differs from the recorded one: the cross compiler changed; re-record with node dist/scripts/record-sample-runs.js on the old code first`,
      );
      assert.deepEqual(got, want);
    });
  }
});
