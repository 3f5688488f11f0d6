/** Challenge-response authentication over a shared token. */
import { strict as assert } from 'assert';
import { authProof, checkProof, newNonce } from '../../emulator/link/auth';

describe('link authentication', () => {
  const token = Buffer.from('correct horse battery staple');
  const wrong = Buffer.from('correct horse battery stapler');

  it('passes the right token both ways and refuses a wrong one', () => {
    const c = newNonce();
    const a = newNonce();
    assert.ok(checkProof(token, 'answering', c, a, authProof(token, 'answering', c, a)));
    assert.ok(checkProof(token, 'connecting', c, a, authProof(token, 'connecting', c, a)));
    assert.ok(!checkProof(token, 'connecting', c, a, authProof(wrong, 'connecting', c, a)));
    assert.ok(!checkProof(token, 'connecting', c, a, authProof(token, 'connecting', c, a).subarray(0, 31)));
  });

  it('refuses a proof replayed on another connection, or by the other role', () => {
    const c = newNonce();
    const a = newNonce();
    const recorded = authProof(token, 'connecting', c, a);
    assert.ok(!checkProof(token, 'connecting', c, newNonce(), recorded), 'fresh answering nonce');
    assert.ok(!checkProof(token, 'connecting', newNonce(), a, recorded), 'fresh connecting nonce');
    assert.ok(!checkProof(token, 'answering', c, a, recorded), 'reflected as the other side');
    assert.notDeepEqual(newNonce(), newNonce());
  });
});
