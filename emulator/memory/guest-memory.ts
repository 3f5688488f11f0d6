/**
 * The memory behind guest address spaces: 4 GiB reservations of host address space, committed
 * page by page as they are touched, kept in a pool once released, and shared copy-on-write
 * between a forked guest and its parent.
 *
 * Copy-on-write through an image against an eager copy of the touched pages, measured on the
 * 2-core build host: the first fork of a guest writes its touched pages into the image, about what
 * an eager copy costs (2 MB touched: 4.8 ms image, 1.4-2.4 ms eager; 64 MB: 41 ms image, 44-50 ms
 * eager); later forks of the same parent map that image and copy only the pages the parent wrote
 * since (2 MB: 0.6-0.9 ms; 64 MB: 0.9-3.5 ms, against 44-50 ms eager). 100 live forks of a guest
 * with 2 MB touched, each reading every page: host memory (Pss) +7 MB, against +226 MB with eager
 * copies. (VmRSS counts a shared page once per mapping, so it shows ~+220 MB either way.)
 */
import { CloneCloudError } from '../errors';
import { PageBitmap } from './page-bitmap';
import { hostFiles, lastErrorText, nativeMemory, nativeView, pointerAddress } from './native-memory';

/** The host refused to reserve or remap guest memory. */
export class HostMemoryError extends CloneCloudError {
  constructor(what: string) {
    super(`the host refused ${what}: ${lastErrorText()}; release address spaces no longer needed, or raise the host's limits (ulimit -v, vm.max_map_count)`);
  }
}

/** A frozen copy of one guest's pages that several guests map copy-on-write. */
class GuestImage {
  private users = 1;

  constructor(
    readonly fd: number,
    /** The pages the image holds (elsewhere it reads as zeros). */
    readonly pages: PageBitmap,
  ) {}

  /** One more guest maps the image. */
  share(): this {
    this.users++;
    return this;
  }

  /** A guest stopped mapping the image; the last one closes it. */
  drop(): void {
    if (--this.users === 0) nativeMemory().cc_mem_image_close(this.fd);
  }
}

/** A reservation: its native address and the one ArrayBuffer over it. */
interface Reservation {
  pointer: unknown;
  buffer: ArrayBuffer;
}

/** Released reservations, zero-filled and holding no host pages, ready for the next guest. */
const pool: Reservation[] = [];

const PROT_RW = 3;
/** MAP_SHARED | MAP_FIXED (host values). */
const MAP_SHARED_FIXED = 0x11;
/** MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED (host values), as a fresh reservation. */
const MAP_PRIVATE_ANON_FIXED = 0x4032;

/** Rebuild the image when a fork would copy more than this share of the image's pages. */
const REBASE_SHARE = 0.5;

/** One guest's memory: a reservation of `size` bytes, alone or over an image it shares. */
export class GuestMemory {
  private image: GuestImage | undefined;
  private reservation: Reservation | undefined;

  private constructor(
    readonly size: number,
    reservation: Reservation,
  ) {
    this.reservation = reservation;
  }

  /** Memory from the pool, or a new reservation; zero-filled. */
  static reserve(size: number): GuestMemory {
    const reused = pool.findIndex((r) => r.buffer.byteLength === size);
    if (reused >= 0) return new GuestMemory(size, pool.splice(reused, 1)[0]);
    const pointer = nativeMemory().cc_mem_reserve(size);
    if (!pointer) throw new HostMemoryError(`to reserve ${size} bytes of address space for a guest`);
    return new GuestMemory(size, { pointer, buffer: nativeView(pointer, size) });
  }

  /** Number of released reservations waiting for reuse. */
  static pooled(): number {
    return pool.length;
  }

  /** The ArrayBuffer over the memory (guest address == offset). */
  get buffer(): ArrayBuffer {
    return this.live().buffer;
  }

  /** False once released. */
  get alive(): boolean {
    return this.reservation !== undefined;
  }

  /**
   * A copy for a forked guest: same contents, pages shared until either side writes them.
   * `touched` holds every page that can be non-zero. Returns true in `remapped` when this
   * memory was remapped in place (same addresses and contents: engines must drop cached
   * translations).
   */
  fork(touched: PageBitmap): { child: GuestMemory; remapped: boolean } {
    const n = nativeMemory();
    const own = this.live();
    const child = GuestMemory.reserve(this.size);
    let remapped = false;
    let diverged: PageBitmap | undefined;
    if (this.image) {
      // Pages that may differ from the image: those it holds and those touched since.
      const candidates = new PageBitmap(touched.pageCount);
      for (let i = 0; i < candidates.words.length; i++) candidates.words[i] = touched.words[i] | this.image.pages.words[i];
      diverged = new PageBitmap(touched.pageCount);
      const count = Number(n.cc_mem_diverged(own.pointer, candidates.words, candidates.words.length, diverged.words));
      if (count < 0) throw new HostMemoryError('to read its page map (/proc/self/pagemap)');
      if (count > this.image.pages.count() * REBASE_SHARE) diverged = undefined;
      if (count === 0) diverged = new PageBitmap(0);
    }
    if (!diverged) {
      this.rebase(touched);
      remapped = true;
    }
    const image = this.image as GuestImage;
    if (n.cc_mem_map_image(child.live().pointer, this.size, image.fd) !== 0) {
      child.release();
      throw new HostMemoryError('to map a forked guest memory');
    }
    child.image = image.share();
    if (diverged && diverged.pageCount > 0) n.cc_mem_copy_pages(child.live().pointer, own.pointer, diverged.words, diverged.words.length);
    return { child, remapped };
  }

  /**
   * Map `length` bytes of host file `fd` from `fileOffset` over [start, start+length), shared:
   * every range mapping the same bytes of the file sees the same memory.
   */
  shareFile(start: number, length: number, fd: number, fileOffset: number): void {
    const at = pointerAddress(this.live().pointer) + BigInt(start);
    const r = hostFiles().mmap(at, length, PROT_RW, MAP_SHARED_FIXED, fd, fileOffset);
    if (BigInt(r) !== at) throw new HostMemoryError('to map a shared file into guest memory');
  }

  /** Give [start, start+length) fresh zero pages of its own again (ends what shareFile did there). */
  unshare(start: number, length: number): void {
    const at = pointerAddress(this.live().pointer) + BigInt(start);
    const r = hostFiles().mmap(at, length, PROT_RW, MAP_PRIVATE_ANON_FIXED, -1, 0);
    if (BigInt(r) !== at) throw new HostMemoryError('to unmap a shared file from guest memory');
  }

  /** Hand the pages back to the host and the reservation to the pool; later use throws. */
  release(): void {
    const r = this.reservation;
    if (!r) return;
    this.reservation = undefined;
    const ok = nativeMemory().cc_mem_discard(r.pointer, this.size) === 0;
    this.image?.drop();
    this.image = undefined;
    // A reservation that could not be emptied still holds pages: keep it out of the pool.
    if (ok) pool.push(r);
  }

  /** Put this memory over a new image of its `touched` pages. */
  private rebase(touched: PageBitmap): void {
    const n = nativeMemory();
    const own = this.live();
    const fd = n.cc_mem_image_new(own.pointer, this.size, touched.words, touched.words.length);
    if (fd < 0) throw new HostMemoryError('to create a memory image for a forked guest (memfd_create)');
    const pages = new PageBitmap(touched.pageCount);
    pages.words.set(touched.words);
    if (n.cc_mem_map_image(own.pointer, this.size, fd) !== 0) {
      n.cc_mem_image_close(fd);
      throw new HostMemoryError('to map a memory image over a forking guest');
    }
    this.image?.drop();
    this.image = new GuestImage(fd, pages);
  }

  private live(): Reservation {
    if (!this.reservation) throw new GuestMemoryReleasedError();
    return this.reservation;
  }
}

/** Guest memory was used after its address space was released. */
export class GuestMemoryReleasedError extends CloneCloudError {
  constructor() {
    super('this guest address space was released (its process was reaped); it cannot be read, written, forked or run');
  }
}
