/** Every syscall handler states how much of Linux it covers. */
import { strict as assert } from 'assert';
import { NR } from '../../emulator/abi/syscall-names';
import { implementedSyscalls, syscallSupport } from '../../emulator/kernel/kernel';

describe('kernel: syscall support levels', () => {
  it('every handler has a level; partial and unsupported ones say why', () => {
    const names = implementedSyscalls();
    assert.ok(names.length > 100, String(names.length));
    for (const name of names) {
      const s = syscallSupport(NR[name]);
      assert.ok(['supported', 'partial', 'unsupported'].includes(s.level), `${name}: ${JSON.stringify(s)}`);
      if (s.level !== 'supported') assert.ok(s.note.length > 10, `${name}: ${s.note}`);
    }
  });

  it('a syscall without a handler is not supported', () => {
    assert.deepEqual(syscallSupport(NR.epoll_create), { level: 'unsupported', note: 'no handler: ENOSYS' });
    assert.deepEqual(syscallSupport(0x7fff), { level: 'unsupported', note: 'no handler: ENOSYS' });
  });
});
