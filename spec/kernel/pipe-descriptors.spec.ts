/** Pipe ends behind descriptors: counts shared across forked tables, close-on-exec, blocking writes that go on. */
import { strict as assert } from 'assert';
import { O_RDONLY, O_WRONLY } from '../../emulator/abi/fcntl';
import { WouldBlock } from '../../emulator/kernel/blocking';
import { FdTable, OpenFiles } from '../../emulator/kernel/fd-table';
import { PIPE_CAPACITY } from '../../emulator/kernel/pipe';
import { pipeFsOf } from '../../emulator/kernel/pipe-fs';
import { ioSyscalls } from '../../emulator/kernel/syscalls/io';
import { Task } from '../../emulator/kernel/task';
import { Vfs } from '../../emulator/vfs/vfs';

function setup() {
  const files = { vfs: {} as Vfs, consoles: () => [] } as OpenFiles;
  const pipes = pipeFsOf(files.vfs);
  const pipe = pipes.create({ uid: 0, gid: 0, time: { sec: 0, nsec: 0 } });
  const table = new FdTable(files);
  const r = table.install({ file: pipes.end(pipe, 'read'), offset: 0, flags: O_RDONLY, dirCursor: 0 });
  const w = table.install({ file: pipes.end(pipe, 'write'), offset: 0, flags: O_WRONLY, dirCursor: 0 }, true);
  return { pipe, table, r, w };
}

describe('kernel: pipe ends behind descriptors', () => {
  it('a forked table shares the ends: end of file only once every table closed its write end', () => {
    const { pipe, table, r, w } = setup();
    const child = table.fork();
    assert.equal(pipe.writers, 1, 'one description, shared');
    table.close(w);
    assert.equal(pipe.writers, 1, 'the child still holds it');
    assert.throws(() => table.get(r).file.read(new Uint8Array(1), 0), WouldBlock);
    child.close(w);
    assert.equal(pipe.writers, 0);
    assert.equal(table.get(r).file.read(new Uint8Array(1), 0), 0, 'end of file');
    assert.equal(pipe.readers, 1);
    child.close(r);
    table.close(r);
    assert.equal(pipe.readers, 0);
  });

  it('dup and dup2 count too; closeOnExec closes only the close-on-exec descriptors', () => {
    const { pipe, table, r, w } = setup();
    const d = table.install(table.get(w));
    table.installAt(10, table.get(w), false);
    table.closeOnExec();
    assert.ok(!table.has(w) && table.has(d) && table.has(10) && table.has(r));
    assert.equal(pipe.writers, 1);
    table.close(d);
    table.installAt(10, table.get(r), false);
    assert.equal(pipe.writers, 0, 'dup2 over the last write descriptor released the end');
    assert.equal(pipe.readers, 1);
  });

  it('a blocking write larger than the pipe writes what fits, waits, and goes on from there', () => {
    const { pipe, table, r, w } = setup();
    const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
    const t = { fds: table, progress: 0, space: { read: (addr: number, len: number) => data.subarray(addr, addr + len) } } as unknown as Task;
    const write = () => ioSyscalls.write.handler(t, [w, 0, data.length]);
    let wait: WouldBlock | undefined;
    try {
      write();
    } catch (e) {
      if (e instanceof WouldBlock) wait = e;
    }
    assert.ok(wait, 'it waits for room');
    assert.equal(t.progress, PIPE_CAPACITY);
    assert.equal(wait.wait.ready(), false);
    const got = new Uint8Array(PIPE_CAPACITY);
    assert.equal(table.get(r).file.read(got, 0), PIPE_CAPACITY);
    assert.ok(wait.wait.ready());
    assert.equal(write(), data.length, 'the retry completes the write');
    assert.equal(t.progress, 0);
    const rest = new Uint8Array(data.length);
    assert.equal(table.get(r).file.read(rest, 0), data.length - PIPE_CAPACITY);
    assert.deepEqual([...got, ...rest.subarray(0, data.length - PIPE_CAPACITY)], [...data]);
    assert.equal(pipe.available, 0);
  });
});
