import { strict as assert } from 'assert';
import { framePacket, leHexToBig, leHexToU32, parseStopReply } from '../../emulator/difftest/gdb-remote';
import { mergeRanges, firstDifference } from '../../emulator/difftest/lockstep';
import { CPSR_COMPARED, diffRegisters } from '../../emulator/difftest/registers';
import { syscallOutputs } from '../../emulator/difftest/syscall-outputs';
import { NR } from '../../emulator/abi/syscall-names';

describe('difftest: protocol and comparison helpers', () => {
  it('frames GDB packets with their checksum and parses stop replies', () => {
    assert.equal(framePacket('g'), '$g#67');
    assert.equal(
      framePacket('m10074,4'),
      '$m10074,4#' + (['m', '1', '0', '0', '7', '4', ',', '4'].reduce((a, c) => a + c.charCodeAt(0), 0) & 0xff).toString(16).padStart(2, '0'),
    );
    assert.deepEqual(parseStopReply('T05thread:p01.1;'), { kind: 'trap', signal: 5 });
    assert.deepEqual(parseStopReply('W10'), { kind: 'exited', status: 16 });
    assert.deepEqual(parseStopReply('X0b'), { kind: 'killed', signal: 11 });
    assert.throws(() => parseStopReply('OK'));
  });

  it('reads little-endian register values', () => {
    assert.equal(leHexToU32('78563412'), 0x12345678);
    assert.equal(leHexToU32('ffffffff'), 0xffffffff);
    assert.equal(leHexToBig('efcdab8967452301'), 0x0123456789abcdefn);
  });

  it('compares flags, GE and the Thumb bit of CPSR but not the IT bits', () => {
    const a = new Uint32Array(17);
    const b = new Uint32Array(17);
    a[16] = 0x60000030;
    b[16] = 0x60000030 | 0x0600fc00; // IT bits only
    assert.deepEqual(diffRegisters(a, b), []);
    b[16] = 0x20000030; // Z differs
    assert.deepEqual(
      diffRegisters(a, b).map((d) => d.name),
      ['cpsr'],
    );
    assert.equal(CPSR_COMPARED & 0x0600fc00, 0);
    b[16] = a[16];
    b[3] = 7;
    assert.deepEqual(
      diffRegisters(a, b).map((d) => d.name),
      ['r3'],
    );
  });

  it('merges written ranges and finds the first differing byte', () => {
    assert.deepEqual(
      mergeRanges([
        [10, 5],
        [0, 4],
        [4, 2],
        [30, 0],
      ]),
      [
        [0, 6],
        [10, 5],
      ],
    );
    assert.equal(firstDifference(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])), -1);
    assert.equal(firstDifference(new Uint8Array([1, 2, 3]), new Uint8Array([1, 9, 3])), 1);
    assert.equal(firstDifference(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), 2);
  });

  it('knows where common syscalls write, only when they succeed', () => {
    assert.deepEqual(syscallOutputs(NR.read, [0, 0x1000, 64], 10), [[0x1000, 10]]);
    assert.deepEqual(syscallOutputs(NR.read, [0, 0x1000, 64], -2 >>> 0), []);
    assert.deepEqual(syscallOutputs(NR.clock_gettime64, [1, 0x2000], 0), [[0x2000, 16]]);
    assert.deepEqual(syscallOutputs(NR.prctl, [16, 0x3000], 0), [[0x3000, 16]]);
    assert.deepEqual(syscallOutputs(NR.prctl, [15, 0x3000], 0), []);
    assert.deepEqual(syscallOutputs(NR.getpid, [], 5), []);
  });
});
