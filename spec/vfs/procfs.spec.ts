import { strict as assert } from 'assert';
import { EACCES, EBUSY, EXDEV } from '../../emulator/abi/errno';
import { O_CREAT, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } from '../../emulator/abi/fcntl';
import { ProfileError } from '../../emulator/errors';
import { assertErrno, DEVICE, list, makeVfs, readText } from './helpers';

const ROOTFS = [{ type: 'file', target: '/bin/hello', content: 'ELF', mode: 0o755 }];

function meminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.trimEnd().split('\n')) {
    const m = /^([A-Za-z_()]+):\s+(\d+) kB$/.exec(line);
    assert.ok(m, `bad meminfo line "${line}"`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('vfs: /proc and /sys', () => {
  it('reports memory in Linux meminfo format', () => {
    const vfs = makeVfs(ROOTFS, {}, { model: 'Phone', ramBytes: 2 * 1024 ** 3, freeRamBytes: 1024 ** 3, cores: 4, clockHz: 1.5e9 });
    const text = readText(vfs, '/proc/meminfo');
    assert.match(text, /^MemTotal:        2097152 kB\n/);
    const m = meminfo(text);
    assert.equal(m.get('MemTotal'), 2097152);
    assert.equal(m.get('MemFree'), 1048576);
    for (const key of ['MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree']) assert.ok(m.has(key), key);
    assert.ok(m.get('MemAvailable')! >= m.get('MemFree')! && m.get('MemAvailable')! <= m.get('MemTotal')!);
  });

  it('describes every core in ARM cpuinfo format', () => {
    const vfs = makeVfs(ROOTFS, {}, { model: 'Nexus One', ramBytes: 512 * 1024 ** 2, cores: 4, clockHz: 1e9, bogomips: 38.4 });
    const text = readText(vfs, '/proc/cpuinfo');
    assert.equal(text.match(/^processor\t: \d+$/gm)?.length, 4);
    assert.match(text, /^processor\t: 3$/m);
    assert.match(text, /^model name\t: ARMv7 Processor rev 0 \(v7l\)$/m);
    assert.match(text, /^BogoMIPS\t: 38\.40$/m);
    assert.match(text, /^Features\t: half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt$/m);
    assert.match(text, /^CPU implementer\t: 0x41$/m);
    assert.match(text, /\nHardware\t: Nexus One\n/);
  });

  it('lists online CPUs in /sys', () => {
    const quad = makeVfs(ROOTFS, {}, { ...DEVICE, cores: 4 });
    assert.equal(readText(quad, '/sys/devices/system/cpu/online'), '0-3\n');
    assert.equal(readText(quad, '/sys/devices/system/cpu/possible'), '0-3\n');
    assert.deepEqual(
      list(quad, '/sys/devices/system/cpu').filter((n) => n.startsWith('cpu')),
      ['cpu0', 'cpu1', 'cpu2', 'cpu3'],
    );
    assert.equal(readText(makeVfs(ROOTFS), '/sys/devices/system/cpu/online'), '0\n');
  });

  it('links /proc/self/exe and /proc/self/cwd', () => {
    let cwd = '/bin';
    const vfs = makeVfs(ROOTFS, { exePath: '/bin/hello', cwd: () => cwd, pid: 42 });
    assert.equal(vfs.readlink('/proc/self/exe', '/'), '/bin/hello');
    assert.equal(vfs.resolve('/proc/self/exe', '/'), '/bin/hello');
    assert.equal(vfs.resolve('/proc/self', '/'), '/proc/42');
    assert.equal(readText(vfs, '/proc/self/exe'), 'ELF');
    cwd = '/';
    assert.equal(vfs.readlink('/proc/self/cwd', '/'), '/');
  });

  it('is read-only', () => {
    const vfs = makeVfs(ROOTFS);
    assertErrno(() => vfs.open('/proc/meminfo', '/', O_WRONLY), EACCES);
    assertErrno(() => vfs.open('/proc/meminfo', '/', O_RDWR), EACCES);
    assertErrno(() => vfs.open('/proc/meminfo', '/', O_RDONLY | O_TRUNC), EACCES);
    assertErrno(() => vfs.open('/proc/new', '/', O_CREAT | O_WRONLY), EACCES);
    assertErrno(() => vfs.mkdir('/proc/d', '/', 0o755), EACCES);
    assertErrno(() => vfs.unlink('/proc/meminfo', '/'), EACCES);
    assertErrno(() => vfs.truncate('/proc/meminfo', '/', 0), EACCES);
    assertErrno(() => vfs.rmdir('/proc', '/'), EBUSY);
    assertErrno(() => vfs.rename('/proc/meminfo', '/', '/m', '/'), EXDEV);
    assert.equal(vfs.stat('/proc/meminfo', '/').size, 0);
    assert.equal(vfs.open('/proc/meminfo', '/', O_RDONLY).size() > 0, true);
  });

  it('rejects nonsense device descriptions', () => {
    assert.throws(() => makeVfs(ROOTFS, {}, { ...DEVICE, cores: 0 }), ProfileError);
    assert.throws(() => makeVfs(ROOTFS, {}, { ...DEVICE, ramBytes: -1 }), ProfileError);
  });
});
