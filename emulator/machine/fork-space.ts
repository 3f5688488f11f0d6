/** A forked child's memory: the parent's map, permissions and contents, copied page by page. */
import { AddressSpace, PAGE_SIZE } from '../memory/address-space';

/** A new address space holding what `parent` holds; only pages ever written are copied. */
export function forkSpace(parent: AddressSpace): AddressSpace {
  const child = new AddressSpace();
  child.restore(parent.save());
  child.perms.set(parent.perms);
  const touched = parent.touched;
  for (const r of parent.regions()) {
    for (let p = r.start / PAGE_SIZE; p < r.end / PAGE_SIZE; p++) {
      if (!touched.has(p)) continue;
      child.bytes.set(parent.bytes.subarray(p * PAGE_SIZE, (p + 1) * PAGE_SIZE), p * PAGE_SIZE);
      child.touched.set(p);
      child.dirty.set(p);
    }
  }
  return child;
}
