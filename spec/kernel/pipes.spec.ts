/** Pipes and FIFOs in one process, against qemu-arm; a wait nobody can end; a pipe across a checkpoint. */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import { NR } from '../../emulator/abi/syscall-names';
import { Checkpointer } from '../../emulator/snapshot/capture';
import { initHashing } from '../../emulator/snapshot/page-hash';
import { memoryDigest } from '../../emulator/snapshot/memory-digest';
import { restoreCheckpoint } from '../../emulator/snapshot/restore';
import { CheckpointStore } from '../../emulator/store/store';
import { bootElf } from '../support/boot';
import { runCli } from '../support/cli-run';
import { fixtureElf, sameAsQemu } from '../support/oracle';
import { tempDir } from '../support/toolchain';

describe('kernel: pipes and FIFOs', () => {
  const elf = () => fixtureElf('pipes');
  const cases: [string, number][] = [
    ['self', 0], // pipe to itself: fstat, FIONREAD, F_GETPIPE_SZ, ESPIPE, EBADF, EOF, pipe2 O_CLOEXEC, readv/writev
    ['poll', 0], // revents of empty, full, hung-up and broken pipes, with and without timeouts
    ['select', 0], // select and pselect: readiness, timeouts written back, EBADF
    ['dup', 0], // dup2 over stdout, a dup keeps the write end open, dup3 over the last writer
    ['epipe-ignored', 0], // EPIPE with SIGPIPE ignored
    ['epipe-default', 141], // the default SIGPIPE ends the process (128 + 13)
    ['nonblock', 0], // O_NONBLOCK: EAGAIN, short writes, atomic writes up to PIPE_BUF
    ['fifo', 0], // mkfifo, non-blocking opens (ENXIO without reader), O_RDWR, data through the node
  ];
  for (const [scenario, status] of cases) {
    it(`${scenario}: same output and exit status as qemu-arm (${status})`, () => {
      const r = sameAsQemu(elf(), ['pipes', scenario], tempDir());
      assert.equal(r.status, status);
    });
  }

  it('a read nobody can ever satisfy (the only writer is the reader) ends the run with the deadlock message', () => {
    // Not run under qemu-arm: there it would hang.
    const r = runCli(['boot', '--elf', elf(), '--', 'deadlock']);
    assert.equal(r.stdout.toString(), 'reading\n');
    assert.notEqual(r.status, 0);
    assert.match(
      r.lines.join('\n'),
      /every task is blocked and nothing can wake any of them \(task \d+ waits for read from pipe:\[\d+\]\): the guest would hang forever/,
    );
  });

  it('a pipe holding bytes at a checkpoint is restored with them: the run goes on exactly as the uninterrupted one', async () => {
    await initHashing();
    const argv = ['pipes', 'later'];
    const b = bootElf(elf(), { argv });
    let truth: { out: string; instructions: bigint; memory: string; status?: number };
    try {
      b.machine.run();
      truth = {
        out: b.stdout().toString(),
        instructions: b.machine.instructions,
        memory: memoryDigest(b.machine.space),
        status: b.machine.kernel.exitState?.status,
      };
    } finally {
      b.machine.close();
    }
    assert.equal(truth.out, 'written\nread: 16 kept in the pipe\neof: 0\n');
    const dir = tempDir('cc-pipe-');
    const store = CheckpointStore.open(dir);
    try {
      const m = bootElf(elf(), { argv });
      let id: string;
      let before: string;
      try {
        assert.equal(
          m.machine.run(undefined, (nr) => nr === NR.getpid),
          'syscall',
        );
        const manifest = new Checkpointer(store, m.machine).capture().manifest;
        assert.equal(manifest.state.fds.pipes?.length, 1, 'the checkpoint holds the pipe');
        assert.equal(Buffer.from(manifest.state.fds.pipes[0].data, 'base64').toString(), 'kept in the pipe');
        id = manifest.id;
        before = m.stdout().toString();
      } finally {
        m.machine.close();
      }
      const out: Buffer[] = [];
      const { machine } = restoreCheckpoint(store, id, { stdout: (x) => out.push(Buffer.from(x)), stderr: () => undefined, warn: () => undefined });
      try {
        assert.equal(machine.run(), 'exited');
        assert.equal(before + Buffer.concat(out).toString(), truth.out);
        assert.equal(machine.instructions, truth.instructions);
        assert.equal(memoryDigest(machine.space), truth.memory);
        assert.equal(machine.kernel.exitState?.status, truth.status);
      } finally {
        machine.close();
      }
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
