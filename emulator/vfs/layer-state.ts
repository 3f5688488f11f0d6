/**
 * Plain-data export and import of the writable layer, for checkpoints. File contents are listed
 * per 4 KiB block so a checkpoint engine can hash and deduplicate blocks; exported blocks are
 * shared, not copied, and frozen so later writes replace them instead of changing the snapshot.
 */
import { BlockStore } from './block-store';
import { MemDir, MemEntry, MemFile, MemLayer, MemMeta, MemSpecial, MemSymlink, WHITEOUT } from './mem-layer';
import { joinChild } from './path';

/** One node of the writable layer; paths are canonical guest paths, parents listed first. */
export type LayerNodeState =
  | { path: string; kind: 'dir'; meta: MemMeta; opaque: boolean; redirect?: string }
  | { path: string; kind: 'file'; meta: MemMeta; size: number; blocks: { index: number; data: Uint8Array }[] }
  | { path: string; kind: 'symlink'; meta: MemMeta; target: string }
  | { path: string; kind: 'special'; meta: MemMeta; type: number }
  | { path: string; kind: 'whiteout' };

/**
 * Everything the writable layer holds. Files deleted while still open are not included. Part of
 * the snapshot format (as snapshot/manifest.ts's VfsRecord, blocks as hashes): changing it needs
 * a bump of the snapshot version (machine/state-version.ts).
 */
export interface LayerState {
  nextIno: number;
  nodes: LayerNodeState[];
}

function copyMeta(m: MemMeta): MemMeta {
  return { ...m, atime: { ...m.atime }, mtime: { ...m.mtime }, ctime: { ...m.ctime } };
}

/** Snapshot the layer; entries are in sorted depth-first order so equal layers export equally. */
export function exportLayer(layer: MemLayer): LayerState {
  const nodes: LayerNodeState[] = [];
  const visit = (path: string, node: MemEntry): void => {
    const meta = copyMeta(node.meta);
    switch (node.kind) {
      case 'dir': {
        nodes.push({ path, kind: 'dir', meta, opaque: node.opaque, ...(node.redirect !== undefined ? { redirect: node.redirect } : {}) });
        for (const name of [...node.children.keys()].sort()) {
          const child = node.children.get(name)!;
          const childPath = joinChild(path, name);
          if (child.kind === 'whiteout') nodes.push({ path: childPath, kind: 'whiteout' });
          else visit(childPath, child);
        }
        break;
      }
      case 'file': {
        node.data.freeze();
        const blocks = [...node.data.blocks.entries()].sort((a, b) => a[0] - b[0]).map(([index, data]) => ({ index, data }));
        nodes.push({ path, kind: 'file', meta, size: node.data.size, blocks });
        break;
      }
      case 'symlink':
        nodes.push({ path, kind: 'symlink', meta, target: node.target });
        break;
      case 'special':
        nodes.push({ path, kind: 'special', meta, type: node.type });
        break;
    }
  };
  visit('/', layer.root);
  return { nextIno: layer.nextIno, nodes };
}

/** Replace the layer's contents with `state`; imported blocks are frozen, so the caller's data stays intact. */
export function importLayer(layer: MemLayer, state: LayerState): void {
  const dirs = new Map<string, MemDir>();
  let root: MemDir | undefined;
  layer.byIno.clear();
  // Use is counted again from what is imported.
  layer.storage.reset();
  for (const n of state.nodes) {
    if (n.path === '/') {
      if (n.kind !== 'dir') throw new TypeError('layer state: "/" must be a directory');
      root = new MemDir(copyMeta(n.meta), n.opaque, n.redirect);
      dirs.set('/', root);
      continue;
    }
    const cut = n.path.lastIndexOf('/');
    const parent = dirs.get(cut === 0 ? '/' : n.path.slice(0, cut));
    if (!parent) throw new TypeError(`layer state: parent of ${n.path} is missing or listed after it`);
    const name = n.path.slice(cut + 1);
    switch (n.kind) {
      case 'whiteout':
        parent.children.set(name, WHITEOUT);
        break;
      case 'dir': {
        const d = new MemDir(copyMeta(n.meta), n.opaque, n.redirect);
        dirs.set(n.path, d);
        parent.children.set(name, d);
        layer.charge(d);
        break;
      }
      case 'file': {
        const store = new BlockStore(layer.frozen, layer.storage);
        for (const b of n.blocks) store.blocks.set(b.index, b.data);
        store.size = n.size;
        store.freeze();
        const f = new MemFile(copyMeta(n.meta), store);
        layer.byIno.set(f.meta.ino, f);
        parent.children.set(name, f);
        layer.charge(f);
        break;
      }
      case 'symlink': {
        const l = new MemSymlink(copyMeta(n.meta), n.target);
        parent.children.set(name, l);
        layer.charge(l);
        break;
      }
      case 'special': {
        const sp = new MemSpecial(copyMeta(n.meta), n.type);
        parent.children.set(name, sp);
        layer.charge(sp);
        break;
      }
    }
  }
  if (!root) throw new TypeError('layer state: no entry for "/"');
  layer.root = root;
  layer.nextIno = state.nextIno;
}
