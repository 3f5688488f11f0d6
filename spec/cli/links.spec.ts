/** `clonecloud links`: the link profiles as a table and as JSON with sources. */
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'clonecloud');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli links', () => {
  it('lists the link profiles as a table with their figures', () => {
    const r = cli(['links']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^id +kind +up +down +RTT +promotion +active \(up\/down\) +tail +idle$/);
    assert.match(
      r.stdout,
      /\n3g-2009 +cellular +215 kbit\/s +1\.26 Mbit\/s +220 ms +582 ms @ 570 mW +570 mW +DCH 6 s @ 570 mW, then FACH 4 s @ 401 mW +10 mW\n/,
    );
    assert.match(r.stdout, /\nwifi-2009 \* +wifi +20 Mbit\/s +20 Mbit\/s +10 ms +- +832\.6 mW \/ 710 mW +high 238 ms @ 710 mW +20 mW\n/);
    assert.match(r.stdout, /\nlte +cellular +6 Mbit\/s +13 Mbit\/s +70 ms .*RRC_CONNECTED 11\.576 s @ 1\.06 W/);
    assert.match(r.stdout, /\n5g +cellular /);
    assert.match(r.stdout, /\nethernet +wired +1 Gbit\/s +1 Gbit\/s +0\.5 ms +- +- +- +-\n/);
    assert.match(lines[lines.length - 1], /--json/);
  });

  it('prints every figure with its source as JSON', () => {
    const r = cli(['links', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { id: string; uplinkBps: number; sources: Record<string, string> }[];
    assert.deepEqual(
      list.map((l) => l.id),
      ['3g-2009', 'wifi-2009', 'lte', '5g', 'ethernet'],
    );
    const g3 = list[0];
    assert.equal(g3.uplinkBps, 215_000);
    assert.match(g3.sources.tails, /PowerTutor/);
    for (const l of list) {
      for (const k of ['uplinkBps', 'downlinkBps', 'rttSeconds', 'promotion', 'active', 'tails', 'idleW']) assert.ok(l.sources[k], `${l.id} ${k}`);
    }
  });

  it('has --help', () => {
    const r = cli(['links', '--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: clonecloud links/);
    assert.match(r.stdout, /--json/);
  });
});
