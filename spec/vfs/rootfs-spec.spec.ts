import { strict as assert } from 'assert';
import * as path from 'path';
import { ImageError } from '../../emulator/errors';
import { parseRootfsSpec } from '../../emulator/vfs/rootfs-spec';
import { makeHostTree, removeTree } from './helpers';

/** Assert that the spec is rejected with a one-line ImageError matching `pattern`. */
function rejects(raw: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseRootfsSpec(raw, '/'),
    (e: unknown) => {
      assert.ok(e instanceof ImageError, String(e));
      assert.match(e.message, pattern);
      assert.ok(!e.message.includes('\n'), 'message must be one line');
      return true;
    },
  );
}

const synth = (extra: Record<string, unknown>) => ({ type: 'synth', target: '/s', seed: 1, entries: 10, ...extra });

describe('vfs: rootfs spec validation', () => {
  let host: string;
  before(() => {
    host = makeHostTree();
  });
  after(() => removeTree(host));

  it('accepts a valid spec, resolving relative host folders and filling defaults', () => {
    const spec = parseRootfsSpec(
      [
        { type: 'host', source: path.basename(host), target: '/' },
        { type: 'file', target: '//etc//motd', content: 'hi' },
        { type: 'synth', target: '/sdcard/tree', seed: 1, entries: 100 },
      ],
      path.dirname(host),
    );
    assert.equal(spec[0].type === 'host' && path.isAbsolute(spec[0].source), true);
    assert.deepEqual(spec[1], { type: 'file', target: '/etc/motd', content: 'hi', mode: 0o644 });
    assert.deepEqual(spec[2], {
      type: 'synth',
      target: '/sdcard/tree',
      seed: 1,
      entries: 100,
      fanout: 8,
      maxDepth: 6,
      dirRatio: 0.1,
      fileSize: { min: 0, max: 65536, median: 2048 },
    });
  });

  it('names the entry and the fix for each mistake', () => {
    rejects({}, /rootfs must be an array/);
    assert.deepEqual(parseRootfsSpec([], host), [], 'an empty rootfs is an empty root directory');
    rejects([42], /entry 0: must be an object/);
    rejects([{ type: 'tmpfs', target: '/' }], /entry 0 \(tmpfs\): unknown type "tmpfs"; use "host", "file" or "synth"/);
    rejects([{ target: '/' }], /entry 0: missing field "type"/);
    rejects([{ type: 'host', target: '/' }], /missing field "source"/);
    rejects([{ type: 'host', source: '/definitely/not/here', target: '/' }], /host folder "\/definitely\/not\/here" does not exist/);
    rejects([{ type: 'host', source: path.join(host, 'etc/hosts'), target: '/' }], /is not a folder/);
    rejects([{ type: 'file', target: 'etc/motd', content: '' }], /"target" must be an absolute guest path/);
    rejects([{ type: 'file', target: '/a/../b', content: '' }], /must not contain/);
    rejects([{ type: 'file', target: '/', content: '' }], /cannot be mounted at "\/"/);
    rejects([{ type: 'file', target: '/proc/x', content: '' }], /hidden by the generated \/proc/);
    rejects([{ type: 'file', target: '/m', content: 1 }], /"content" must be a string/);
    rejects([{ type: 'file', target: '/m', content: '', mode: 0o10000 }], /"mode" must be an integer from 0 to 4095/);
    rejects([{ type: 'file', target: '/m', content: '', size: 3 }], /unknown field "size"/);
  });

  it('checks synth parameters', () => {
    rejects([synth({ entries: 0 })], /entry 0 \(synth\): "entries" must be an integer from 1 to 10000000, got 0/);
    rejects([synth({ entries: 10_000_001 })], /"entries" must be an integer from 1 to 10000000/);
    rejects([synth({ entries: 2.5 })], /"entries"/);
    rejects([synth({ seed: undefined })], /missing field "seed"/);
    rejects([synth({ fanout: 0 })], /"fanout" must be an integer from 1/);
    rejects([synth({ maxDepth: 0 })], /"maxDepth"/);
    rejects([synth({ dirRatio: 1.5 })], /"dirRatio" must be a number from 0 to 1/);
    rejects([synth({ fileSize: 3 })], /"fileSize" must be an object/);
    rejects([synth({ fileSize: { min: 10, max: 5, median: 7 } })], /"fileSize.min" \(10\) exceeds "fileSize.max" \(5\)/);
    rejects([synth({ fileSize: { min: 0, max: 5, median: 7 } })], /"fileSize.median" \(7\) must lie between min and max/);
    rejects([synth({ fileSize: { min: 0, max: 5 } })], /"fileSize.median" must be an integer/);
    rejects([synth({ fanOut: 3 })], /unknown field "fanOut"/);
    rejects([{ type: 'file', target: '/ok', content: '' }, synth({ entries: -1 })], /^rootfs entry 1 \(synth\)/);
  });
});
