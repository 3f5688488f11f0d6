/**
 * The bench's host-profile grouping: perf's per-symbol lines land in the engine part they belong
 * to, and shares of one part add up. (The profile itself needs perf and runs in `npm run bench`.)
 */
import { strict as assert } from 'assert';
import { partOf, sharesFromReport } from '../../scripts/bench/host-profile';

describe('bench: host profile grouping', () => {
  it('puts each kind of symbol into its part', () => {
    assert.equal(partOf('[JIT] tid 21564', '0x00007f54c0e5e771'), 'translated guest code');
    assert.equal(partOf('[JIT] tid 21564', 'JS:*run /work/main/dist/emulator/unicorn/engine.js:54'), 'Node.js: kernel model, syscalls, start-up');
    assert.equal(partOf('libunicorn.so.2', 'helper_check_exit_request_arm'), 'exit-request helper (after every load/store, at every block start)');
    assert.equal(partOf('libunicorn.so.2', 'helper_lookup_tb_ptr_arm'), 'block lookup (indirect and cross-page jumps)');
    assert.equal(partOf('libunicorn.so.2', 'cpu_get_tb_cpu_state_arm'), 'block lookup (indirect and cross-page jumps)');
    assert.equal(partOf('cchooks.so', 'on_block'), 'block hook (instruction counting)');
    assert.equal(partOf('libunicorn.so.2', 'helper_uc_tracecode'), 'block hook (instruction counting)');
    assert.equal(partOf('cchooks.so', 'on_tlb_fill'), 'TLB fills and slow memory paths');
    assert.equal(partOf('libunicorn.so.2', 'victim_tlb_hit'), 'TLB fills and slow memory paths');
    assert.equal(partOf('libunicorn.so.2', 'tcg_gen_code_arm'), 'translation');
    assert.equal(partOf('libunicorn.so.2', 'liveness_pass_1'), 'translation');
    assert.equal(partOf('libunicorn.so.2', 'float64_add_arm'), 'other engine helpers (VFP, NEON, flags)');
    assert.equal(partOf('node', 'v8::internal::Scanner::Next'), 'Node.js: kernel model, syscalls, start-up');
    assert.equal(partOf('koffi.node', 'whatever'), 'Node.js: kernel model, syscalls, start-up');
    assert.equal(partOf('[kernel.kallsyms]', 'clear_page_erms'), 'host kernel');
    assert.equal(partOf('libfoo.so', 'bar'), 'other');
  });

  it('sums perf report lines by part and ignores everything else', () => {
    const report = [
      '# comment',
      ' 18.66% |libunicorn.so.2     |[.] helper_check_exit_request_arm',
      ' 15.66% |cchooks.so          |[.] on_block',
      ' 5.20%  |libunicorn.so.2     |[.] helper_lookup_tb_ptr_arm',
      ' 4.80%  |libunicorn.so.2     |[.] cpu_get_tb_cpu_state_arm',
      ' 1.25%  |[kernel.kallsyms]   |[k] clear_page_erms',
      '',
    ].join('\n');
    const shares = sharesFromReport(report);
    assert.equal(shares.get('exit-request helper (after every load/store, at every block start)'), 18.66);
    assert.equal(shares.get('block hook (instruction counting)'), 15.66);
    assert.ok(Math.abs((shares.get('block lookup (indirect and cross-page jumps)') ?? 0) - 10) < 1e-9);
    assert.equal(shares.get('host kernel'), 1.25);
    assert.equal(shares.get('translated guest code'), 0);
  });
});
