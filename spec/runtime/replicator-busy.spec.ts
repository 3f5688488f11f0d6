/**
 * A phone that reconnects while the clone still holds its previous connection (a cut the clone
 * has not noticed yet) is told "busy"; the Replicator tries again shortly instead of losing the
 * sync, and the clone's one-connection-per-phone rule stays as it is.
 */
import { strict as assert } from 'assert';
import { CloneServer } from '../../emulator/clone/server';
import { connectClone } from '../../emulator/link/clone-client';
import { connect } from '../../emulator/link/connection';
import { FrameType } from '../../emulator/link/frames';
import { connectingHandshake } from '../../emulator/link/handshake';
import { findLink } from '../../emulator/model/links';
import { Replicator } from '../../emulator/runtime/replicator';
import { periodicPolicy } from '../../emulator/runtime/sync-policy';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { bootImage, collect } from '../support/images';
import { tempDir } from '../support/toolchain';

describe("runtime/replicator: the clone still holds the phone's previous connection", function () {
  this.timeout(60_000);
  before(initHashing);

  it('retries while the clone answers busy, then syncs', async () => {
    const token = Buffer.from('a-token-for-the-busy-test-of-the-replicator');
    const server = await CloneServer.start({ store: tempDir('cc-busy-'), token, host: '127.0.0.1', port: 0 });
    const stale = await connect('127.0.0.1', server.port, { readTimeoutMs: 10_000 });
    try {
      // The phone's previous connection, still open on the clone's side.
      await connectingHandshake(stale, token);
      stale.send({ type: FrameType.Phone, phoneId: 'busy-phone' });
      await stale.expect(FrameType.MirrorState);
      const refusals: string[] = [];
      let attempts = 0;
      const r = bootImage('compute');
      const replicator = new Replicator(r.machine, {
        connect: async () => {
          attempts++;
          // The old connection goes away while the phone is retrying.
          if (attempts === 3) stale.close();
          return connectClone({ host: '127.0.0.1', port: server.port, token, phone: 'busy-phone' });
        },
        policy: periodicPolicy('ethernet', { memory: { instructions: 1n } }),
        link: findLink,
        onWarning: (m) => refusals.push(m),
      });
      assert.equal(r.machine.run(5_000_000n), 'budget');
      void replicator.atPoint();
      const totals = await replicator.finish(r.machine.clock.seconds());
      r.machine.close();
      collect();
      assert.deepEqual(refusals, []);
      assert.ok(attempts >= 3, `${attempts} attempts`);
      assert.deepEqual([totals.syncs, totals.failed], [1, 0]);
    } finally {
      stale.socket.destroy();
      await server.close();
    }
  });
});
