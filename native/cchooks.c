/*
 * Native hot hooks for clonecloud. Unicorn calls these on every translated-block entry and on
 * every software-TLB miss; a JS callback there would cost ~165 ns a call, so they live here and
 * share their state with JS through memory the JS side owns (SharedArrayBuffers):
 *
 *   counters[]  uint64 slots (layout below), read and reset by JS without copying
 *   dirty[]     one bit per 4 KiB guest page, set on the first guest write since the last re-arm
 *   touched[]   one bit per page, set on any write since the page was mapped
 *   perms[]     one byte per page: PROT_READ|PROT_WRITE|PROT_EXEC bits | PAGE_MAPPED
 *   mem         the guest's memory: guest address == offset (a 4 GiB reservation, see below)
 *
 * Dirty tracking uses Unicorn's virtual TLB: write permission is granted only to pages already
 * dirty, so the first write to a clean page misses the TLB, lands here, and marks the page.
 * Re-arming (JS clears the bitmap and calls cc_flush_tlb) revokes the write grants.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#define PAGE_SHIFT 12
#define PAGE_MAPPED 8

/* counters[] slots; keep in step with emulator/unicorn/native-state.ts */
enum {
    C_INSNS = 0,       /* instructions executed (counted at block entry) */
    C_BUDGET = 1,      /* never run past this many instructions */
    C_STOPPED = 2,     /* set to 1 when the budget stopped emulation */
    C_BLOCKS = 3,      /* translated blocks entered (and counted) */
    C_TLB_FILLS = 4,   /* software-TLB misses served */
    C_DIRTY_MARKS = 5, /* clean pages made dirty by guest writes */
    C_FAULT_ADDR = 6,  /* last address refused by the TLB fill */
    C_FAULT_TYPE = 7,  /* its uc_mem_type (UC_MEM_READ/WRITE/FETCH) */
    C_FAULT_PERMS = 8, /* the page's permission byte at that moment */
    C_PROBE_ADDR = 9,  /* exact address of the first access seen while probing a fault */
    C_PROBE_TYPE = 10, /* its uc_mem_type, 0 when none was seen */
    C_SLOTS = 16
};

/* Direct-mapped cache of instruction counts per block, keyed by (address, byte size). */
#define ICACHE_BITS 16
#define ICACHE_SIZE (1u << ICACHE_BITS)

typedef struct {
    uint64_t *counters;
    uint32_t *dirty;
    uint32_t *touched;
    uint8_t *perms;
    uint8_t *mem;
    int count_insns;  /* install the block hook */
    int track_dirty;  /* withhold write permission until the first write */
    int probing;      /* fault probe: grant everything, record the access */
    int invalidating; /* dropping translated code: the page lookup must not fault */
    int raw_it_state; /* leave libunicorn's stale IT state alone (to show what the fix fixes) */
    uc_hook probe_hook;
    uint64_t ikey[ICACHE_SIZE];
    uint16_t ival[ICACHE_SIZE];
    uc_hook block_hook;
    uc_hook tlb_hook;
    struct cc_finder *finder; /* difftest only: block-entry histogram, NULL normally */
    uint32_t *reads;          /* profiling only: pages a load filled the TLB for since its flush, NULL normally */
} cc_state;

static void finder_note(struct cc_finder *f, uint32_t addr, uint64_t icount);

/* Count the instructions in a block: ARM ones are 4 bytes; Thumb ones are 2 or 4, and a Thumb
 * halfword whose top five bits are 0b11101, 0b11110 or 0b11111 starts a 32-bit instruction. */
static uint32_t count_insns(cc_state *st, uc_engine *uc, uint64_t addr, uint32_t size) {
    uint32_t cpsr = 0;
    uc_reg_read(uc, UC_ARM_REG_CPSR, &cpsr);
    if (!(cpsr & (1u << 5)))
        return size / 4;
    uint32_t n = 0, off = 0;
    while (off < size) {
        uint32_t a = (uint32_t)(addr + off);
        uint16_t hw = (uint16_t)(st->mem[a] | (st->mem[a + 1] << 8));
        uint32_t top = hw >> 11;
        off += (top == 0x1d || top == 0x1e || top == 0x1f) ? 4 : 2;
        n++;
    }
    return n;
}

static void on_block(uc_engine *uc, uint64_t addr, uint32_t size, void *user) {
    cc_state *st = (cc_state *)user;
    uint64_t key = (addr << 16) | (size & 0xffff);
    uint32_t slot = (uint32_t)(addr >> 1) & (ICACHE_SIZE - 1);
    uint32_t n;
    if (__builtin_expect(st->ikey[slot] == key, 1)) {
        n = st->ival[slot];
    } else {
        n = count_insns(st, uc, addr, size);
        st->ikey[slot] = key;
        st->ival[slot] = (uint16_t)n;
    }
    uint64_t *c = st->counters;
    /* A stop requested here takes effect before this block runs, so a block that would overrun
     * the budget is neither run nor counted: the count stays exact at every stop. */
    uint64_t total = c[C_INSNS] + n;
    if (__builtin_expect(total > c[C_BUDGET], 0)) {
        c[C_STOPPED] = 1;
        uc_emu_stop(uc);
        return;
    }
    if (__builtin_expect(st->finder != NULL, 0))
        finder_note(st->finder, (uint32_t)addr, c[C_INSNS]);
    c[C_INSNS] = total;
    c[C_BLOCKS]++;
}

/* CPSR's IT (Thumb If-Then) bits: IT[1:0] at 26:25, IT[7:2] at 15:10. */
#define CPSR_IT_MASK 0x0600fc00u

/*
 * Work around a libunicorn 2.1.4 bug that silently miscomputes Thumb code. Before calling the
 * TLB-fill hook, Unicorn's unicorn_fill_tlb() runs cpu_restore_state(), which writes the IT state
 * of the accessing instruction into the CPU state even though execution then simply continues.
 * QEMU's translator keeps that state in the CPU only at block boundaries: a block clears it on
 * entry and stores it on exit only when it is non-zero. So after a TLB miss on a load or store
 * inside an IT block, an IT block that ends within the same translated block leaves stale IT bits
 * behind, and the next block starts as if it were inside that IT block: its first instructions are
 * executed or skipped under the old condition. (busybox bzip2 wrote wrong Huffman codes this way.)
 * While a block runs, the correct stored IT state is zero (the block's exit writes the real one),
 * so a granted data access resets it. A refused access leaves it: the fault needs that state.
 */
static void clear_stale_it_state(uc_engine *uc) {
    uint32_t cpsr = 0;
    if (uc_reg_read(uc, UC_ARM_REG_CPSR, &cpsr) != UC_ERR_OK || !(cpsr & CPSR_IT_MASK))
        return;
    cpsr &= ~CPSR_IT_MASK;
    uc_reg_write(uc, UC_ARM_REG_CPSR, &cpsr);
}

static bool on_tlb_fill(uc_engine *uc, uint64_t vaddr, uc_mem_type type, uc_tlb_entry *result,
                        void *user) {
    cc_state *st = (cc_state *)user;
    uint64_t *c = st->counters;
    uint32_t page = (uint32_t)(vaddr >> PAGE_SHIFT);
    uint8_t p = st->perms[page];
    uint32_t word = page >> 5, bit = 1u << (page & 31);
    uint32_t grant = 0;
    c[C_TLB_FILLS] += 1;
    if (st->probing || st->invalidating) {
        result->paddr = vaddr & ~(uint64_t)((1u << PAGE_SHIFT) - 1);
        result->perms = UC_PROT_ALL;
        return true;
    }
    if (!(p & PAGE_MAPPED))
        goto refuse;
    switch (type) {
    case UC_MEM_WRITE:
        if (!(p & UC_PROT_WRITE))
            goto refuse;
        if (st->track_dirty && !(st->dirty[word] & bit)) {
            __atomic_fetch_or(&st->dirty[word], bit, __ATOMIC_RELAXED);
            c[C_DIRTY_MARKS] += 1;
        }
        __atomic_fetch_or(&st->touched[word], bit, __ATOMIC_RELAXED);
        grant = UC_PROT_WRITE;
        break;
    case UC_MEM_FETCH:
        if (!(p & UC_PROT_EXEC))
            goto refuse;
        break;
    default:
        if (!(p & UC_PROT_READ))
            goto refuse;
        if (st->reads)
            __atomic_fetch_or(&st->reads[word], bit, __ATOMIC_RELAXED);
        break;
    }
    /* EXEC only where the guest asked for it: a store to an executable page always takes
     * QEMU's self-modifying-code slow path. */
    grant |= p & (UC_PROT_READ | UC_PROT_EXEC);
    if ((p & UC_PROT_WRITE) && (!st->track_dirty || (st->dirty[word] & bit))) {
        /* A write grant lets every later store skip this callback, so the page must count as
         * possibly non-zero from now on (unmap zeroes and mremap copies only touched pages). */
        grant |= UC_PROT_WRITE;
        if (!(st->touched[word] & bit))
            __atomic_fetch_or(&st->touched[word], bit, __ATOMIC_RELAXED);
    }
    result->paddr = vaddr & ~(uint64_t)((1u << PAGE_SHIFT) - 1);
    result->perms = (uc_prot)grant;
    if (type != UC_MEM_FETCH && !st->raw_it_state)
        clear_stale_it_state(uc);
    return true;
refuse:
    c[C_FAULT_ADDR] = vaddr;
    c[C_FAULT_TYPE] = (uint64_t)type;
    c[C_FAULT_PERMS] = p;
    return false;
}

/* Allocate the hook state over JS-owned buffers. `flags`: bit 0 counts instructions, bit 1
 * tracks dirty pages (both on normally; off only to measure what they cost), bit 2 turns off the
 * IT-state workaround (only to demonstrate the engine bug it works around). */
void *cc_state_new(uint64_t *counters, uint32_t *dirty, uint32_t *touched, uint8_t *perms,
                   uint8_t *mem, int flags) {
    cc_state *st = (cc_state *)calloc(1, sizeof(cc_state));
    if (!st)
        return NULL;
    st->counters = counters;
    st->dirty = dirty;
    st->touched = touched;
    st->perms = perms;
    st->mem = mem;
    st->count_insns = flags & 1;
    st->track_dirty = (flags >> 1) & 1;
    st->raw_it_state = (flags >> 2) & 1;
    memset(st->ikey, 0xff, sizeof(st->ikey));
    return st;
}

/* Release the hook state (after the engine is closed or the hooks removed). */
void cc_state_free(void *state) {
    cc_state *st = (cc_state *)state;
    if (st)
        free(st->finder);
    free(st);
}

/* Forget cached block sizes, after code pages were remapped or rewritten. */
void cc_state_forget_code(void *state) {
    cc_state *st = (cc_state *)state;
    memset(st->ikey, 0xff, sizeof(st->ikey));
}

/* Install the block counter and the TLB-fill callback on an engine. */
int cc_attach(uc_engine *uc, void *state) {
    cc_state *st = (cc_state *)state;
    if (st->count_insns) {
        uc_err err = uc_hook_add(uc, &st->block_hook, UC_HOOK_BLOCK, (void *)on_block, st, 1, 0);
        if (err != UC_ERR_OK)
            return err;
    }
    return uc_hook_add(uc, &st->tlb_hook, UC_HOOK_TLB_FILL, (void *)on_tlb_fill, st, 1, 0);
}

/* Install an interrupt hook whose callback comes from JS (syscalls: rare enough for JS). */
int cc_hook_intr(uc_engine *uc, void *callback, void *user, uc_hook *out) {
    return uc_hook_add(uc, out, UC_HOOK_INTR, callback, user, 1, 0);
}

static void on_probe_access(uc_engine *uc, uc_mem_type type, uint64_t addr, int size,
                            int64_t value, void *user) {
    (void)uc; (void)size; (void)value;
    uint64_t *c = ((cc_state *)user)->counters;
    if (c[C_PROBE_TYPE] == 0) {
        c[C_PROBE_ADDR] = addr;
        c[C_PROBE_TYPE] = (uint64_t)type;
    }
}

/* Start a fault probe. The TLB-fill callback only sees page addresses, so to report the exact
 * address of a refused access the faulting instruction is re-run once with every page granted
 * and a memory hook recording the address. Only ever used after the guest has faulted. */
int cc_probe_begin(uc_engine *uc, void *state) {
    cc_state *st = (cc_state *)state;
    st->counters[C_PROBE_TYPE] = 0;
    st->probing = 1;
    return uc_hook_add(uc, &st->probe_hook, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
                       (void *)on_probe_access, st, 1, 0);
}

/* End a fault probe. */
int cc_probe_end(uc_engine *uc, void *state) {
    cc_state *st = (cc_state *)state;
    st->probing = 0;
    return uc_hook_del(uc, st->probe_hook);
}

/* uc_ctl wrappers: uc_ctl is variadic, which an FFI call cannot express portably. */
int cc_set_page_size(uc_engine *uc, uint32_t size) { return uc_ctl_set_page_size(uc, size); }
int cc_set_cpu_model(uc_engine *uc, int model) { return uc_ctl_set_cpu_model(uc, model); }
int cc_tlb_virtual(uc_engine *uc) { return uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL); }
int cc_flush_tlb(uc_engine *uc) { return uc_ctl_flush_tlb(uc); }
int cc_flush_tb(uc_engine *uc) { return uc_ctl_flush_tb(uc); }
/* Exits are addresses where emulation halts before running the instruction there. clonecloud uses
 * them to stop in the middle of a translated block and for breakpoints; otherwise the list is empty
 * (so, unlike uc_emu_start's `until`, no address halts a guest by accident). */
int cc_exits_enable(uc_engine *uc) { return uc_ctl_exits_enable(uc); }
int cc_set_exit(uc_engine *uc, uint64_t addr, int on) {
    uint64_t exit = addr;
    return uc_ctl_set_exits(uc, &exit, on ? 1 : 0);
}
/* Replace the whole exits list (breakpoints): Unicorn copies the `n` addresses. */
int cc_set_exits(uc_engine *uc, const uint64_t *addrs, int n) {
    return uc_ctl_set_exits(uc, (uint64_t *)addrs, n > 0 ? (size_t)n : 0);
}
/* Drop the translated blocks over [begin, end). Unicorn finds the code's page with an instruction
 * fetch lookup through the TLB-fill callback; for a page that is no longer executable (just
 * unmapped, remapped or protected) a refused lookup would skip the invalidation and leave a pending
 * prefetch abort that the next run reports as a fault. So the lookup is granted, and the TLB entry
 * that grant left behind is flushed at once. */
int cc_remove_cache(uc_engine *uc, void *state, uint64_t begin, uint64_t end) {
    cc_state *st = (cc_state *)state;
    st->invalidating = 1;
    int err = uc_ctl_remove_cache(uc, begin, end);
    st->invalidating = 0;
    int flushed = uc_ctl_flush_tlb(uc);
    return err != UC_ERR_OK ? err : flushed;
}

/* ---- Instruction-level probes for differential testing -------------------------------------
 * Only `clonecloud difftest` installs these; the normal fast path never does. */

/* Per-instruction trace: each record is TRACE_WORDS uint32 (pc, r0..r12, sp, lr, cpsr) taken
 * before the instruction runs, and memory writes as (record index, address, size, value lo, hi).
 * Recording stops the engine once fewer than TRACE_SLACK records are free (a stop takes effect
 * at the end of the current block, and a block holds at most 512 instructions). */
#define TRACE_WORDS 17
#define WRITE_WORDS 5
#define TRACE_SLACK 1024

typedef struct {
    uint32_t *recs;
    uint64_t rec_cap;
    uint64_t nrecs;
    uint32_t *writes;
    uint64_t write_cap;
    uint64_t nwrites;
    uint64_t lost_writes;
    uc_hook code_hook;
    uc_hook write_hook;
} cc_trace;

static const int trace_regs[TRACE_WORDS] = {
    UC_ARM_REG_PC, UC_ARM_REG_R0, UC_ARM_REG_R1, UC_ARM_REG_R2, UC_ARM_REG_R3, UC_ARM_REG_R4,
    UC_ARM_REG_R5, UC_ARM_REG_R6, UC_ARM_REG_R7, UC_ARM_REG_R8, UC_ARM_REG_R9, UC_ARM_REG_R10,
    UC_ARM_REG_R11, UC_ARM_REG_R12, UC_ARM_REG_SP, UC_ARM_REG_LR, UC_ARM_REG_CPSR};

static void on_trace_insn(uc_engine *uc, uint64_t addr, uint32_t size, void *user) {
    (void)size;
    cc_trace *t = (cc_trace *)user;
    if (t->nrecs >= t->rec_cap)
        return;
    uint32_t *rec = t->recs + t->nrecs * TRACE_WORDS;
    void *ptrs[TRACE_WORDS];
    for (int i = 0; i < TRACE_WORDS; i++)
        ptrs[i] = &rec[i];
    uc_reg_read_batch(uc, (int *)trace_regs, ptrs, TRACE_WORDS);
    rec[0] = (uint32_t)addr;
    t->nrecs++;
    if (t->rec_cap - t->nrecs == TRACE_SLACK)
        uc_emu_stop(uc);
}

static void on_trace_write(uc_engine *uc, uc_mem_type type, uint64_t addr, int size, int64_t value,
                           void *user) {
    (void)uc; (void)type;
    cc_trace *t = (cc_trace *)user;
    if (t->nwrites >= t->write_cap) {
        t->lost_writes++;
        return;
    }
    uint32_t *w = t->writes + t->nwrites * WRITE_WORDS;
    /* The write belongs to the instruction whose record was taken last. */
    w[0] = (uint32_t)(t->nrecs ? t->nrecs - 1 : 0);
    w[1] = (uint32_t)addr;
    w[2] = (uint32_t)size;
    w[3] = (uint32_t)((uint64_t)value & 0xffffffffu);
    w[4] = (uint32_t)((uint64_t)value >> 32);
    t->nwrites++;
}

/* Start recording every instruction and memory write into JS-owned buffers. */
void *cc_trace_begin(uc_engine *uc, uint32_t *recs, uint64_t rec_cap, uint32_t *writes,
                     uint64_t write_cap) {
    cc_trace *t = (cc_trace *)calloc(1, sizeof(cc_trace));
    if (!t)
        return NULL;
    t->recs = recs;
    t->rec_cap = rec_cap;
    t->writes = writes;
    t->write_cap = write_cap;
    if (uc_hook_add(uc, &t->code_hook, UC_HOOK_CODE, (void *)on_trace_insn, t, 1, 0) != UC_ERR_OK ||
        uc_hook_add(uc, &t->write_hook, UC_HOOK_MEM_WRITE, (void *)on_trace_write, t, 1, 0) !=
            UC_ERR_OK) {
        free(t);
        return NULL;
    }
    return t;
}

/* Counts recorded so far: out[0] records, out[1] writes, out[2] writes lost to a full buffer. */
void cc_trace_counts(void *trace, uint64_t *out) {
    cc_trace *t = (cc_trace *)trace;
    out[0] = t->nrecs;
    out[1] = t->nwrites;
    out[2] = t->lost_writes;
}

/* Empty the buffers (after JS has consumed them). */
void cc_trace_reset(void *trace) {
    cc_trace *t = (cc_trace *)trace;
    t->nrecs = t->nwrites = t->lost_writes = 0;
}

/* Stop recording and free the trace state. */
void cc_trace_end(uc_engine *uc, void *trace) {
    cc_trace *t = (cc_trace *)trace;
    uc_hook_del(uc, t->code_hook);
    uc_hook_del(uc, t->write_hook);
    free(t);
}

/* Watch one instruction address: count its executions. The hook is bounded to that one address,
 * so nothing else slows down. (Stops come from the instruction budget, which keeps counts exact.) */
typedef struct {
    uint64_t hits;
    uc_hook hook;
} cc_watch;

static void on_watch(uc_engine *uc, uint64_t addr, uint32_t size, void *user) {
    (void)uc; (void)addr; (void)size;
    ((cc_watch *)user)->hits++;
}

/* Start watching `addr`. */
void *cc_watch_begin(uc_engine *uc, uint64_t addr) {
    cc_watch *w = (cc_watch *)calloc(1, sizeof(cc_watch));
    if (!w)
        return NULL;
    if (uc_hook_add(uc, &w->hook, UC_HOOK_CODE, (void *)on_watch, w, addr, addr) != UC_ERR_OK) {
        free(w);
        return NULL;
    }
    return w;
}

/* Executions of the watched address so far. */
uint64_t cc_watch_hits(void *watch) { return ((cc_watch *)watch)->hits; }

/* Stop watching. */
void cc_watch_end(uc_engine *uc, void *watch) {
    cc_watch *w = (cc_watch *)watch;
    uc_hook_del(uc, w->hook);
    free(w);
}

/* Rare-point finder: counts block entries per address, and among the blocks entered at or after
 * instruction `from`, remembers the one entered the fewest times so far (the latest on ties). A
 * differential tester stops both emulators there: a breakpoint on a rarely executed address needs
 * few round trips to the reference. Open addressing; when the table fills, new addresses go
 * uncounted and are never chosen. */
#define FINDER_BITS 20
#define FINDER_SIZE (1u << FINDER_BITS)

struct cc_finder {
    uint32_t keys[FINDER_SIZE]; /* block address + 1 (0 = empty) */
    uint32_t counts[FINDER_SIZE];
    uint32_t used;
    uint64_t from;
    uint32_t best_addr;
    uint32_t best_count;
    uint64_t best_icount;
    int have_best;
};

static void finder_note(struct cc_finder *f, uint32_t addr, uint64_t icount) {
    uint32_t key = addr + 1;
    uint32_t i = (addr * 2654435761u) >> (32 - FINDER_BITS);
    while (f->keys[i] != key) {
        if (f->keys[i] == 0) {
            if (f->used >= FINDER_SIZE - FINDER_SIZE / 4)
                return;
            f->keys[i] = key;
            f->used++;
            break;
        }
        i = (i + 1) & (FINDER_SIZE - 1);
    }
    uint32_t n = ++f->counts[i];
    if (icount >= f->from && (!f->have_best || n <= f->best_count)) {
        f->have_best = 1;
        f->best_addr = addr;
        f->best_count = n;
        f->best_icount = icount;
    }
}

/* Start a finder on the engine's block hook; candidates are blocks entered at or after `from`. */
int cc_finder_begin(void *state, uint64_t from) {
    cc_state *st = (cc_state *)state;
    struct cc_finder *f = (struct cc_finder *)calloc(1, sizeof(struct cc_finder));
    if (!f)
        return -1;
    f->from = from;
    st->finder = f;
    return 0;
}

/* The chosen block: out[0] address, out[1] block entries up to and including it, out[2] the
 * instruction count at its entry; returns 0 when no block was entered at or after `from`. */
int cc_finder_end(void *state, uint64_t *out) {
    cc_state *st = (cc_state *)state;
    struct cc_finder *f = st->finder;
    st->finder = NULL;
    if (!f)
        return 0;
    int have = f->have_best;
    out[0] = f->best_addr;
    out[1] = f->best_count;
    out[2] = f->best_icount;
    free(f);
    return have;
}

/* ---- The exclusive monitor (LDREX/STREX) --------------------------------------------------
 * A checkpoint taken between LDREX and STREX must carry the monitor, or the STREX after a restore
 * fails where the uninterrupted run's succeeds. Unicorn has no register for it, but its CPU
 * context (uc_context_save) holds the whole CPU state, monitor included. Where exactly is found
 * once per process on a scratch engine: run LDREX on a known address and value, look for both in
 * the saved context, and confirm that CLREX turns the address into QEMU's "no monitor" (-1). */
static long monitor_offset = -2; /* -2: not calibrated yet, -1: calibration failed */

static long find_monitor(uc_engine *uc, const uint8_t *a, const uint8_t *b, size_t size) {
    (void)uc;
    for (size_t off = 0; off + 16 <= size; off += 8) {
        uint64_t addr, val, cleared;
        memcpy(&addr, a + off, 8);
        memcpy(&val, a + off + 8, 8);
        memcpy(&cleared, b + off, 8);
        if (addr == 0x10800 && val == 0x5a5aa5a5u && cleared == UINT64_MAX)
            return (long)off;
    }
    return -1;
}

static long calibrate_monitor(void) {
    uc_engine *uc;
    long found = -1;
    if (uc_open(UC_ARCH_ARM, UC_MODE_ARM, &uc) != UC_ERR_OK)
        return -1;
    uc_ctl_set_cpu_model(uc, UC_CPU_ARM_CORTEX_A15);
    const uint32_t code[2] = {0xe1901f9f /* ldrex r1, [r0] */, 0xf57ff01f /* clrex */};
    const uint32_t data = 0x5a5aa5a5u, r0 = 0x10800;
    size_t size = uc_context_size(uc);
    uint8_t *a = malloc(size), *b = malloc(size);
    uc_context *ctx = NULL;
    if (a && b && uc_mem_map(uc, 0x10000, 0x1000, UC_PROT_ALL) == UC_ERR_OK &&
        uc_mem_write(uc, 0x10000, code, sizeof code) == UC_ERR_OK &&
        uc_mem_write(uc, 0x10800, &data, 4) == UC_ERR_OK &&
        uc_reg_write(uc, UC_ARM_REG_R0, &r0) == UC_ERR_OK &&
        uc_context_alloc(uc, &ctx) == UC_ERR_OK &&
        uc_emu_start(uc, 0x10000, 0x10004, 0, 0) == UC_ERR_OK &&
        uc_context_save(uc, ctx) == UC_ERR_OK) {
        memcpy(a, ctx, size);
        if (uc_emu_start(uc, 0x10004, 0x10008, 0, 0) == UC_ERR_OK &&
            uc_context_save(uc, ctx) == UC_ERR_OK) {
            memcpy(b, ctx, size);
            found = find_monitor(uc, a, b, size);
        }
    }
    if (ctx)
        uc_context_free(ctx);
    free(a);
    free(b);
    uc_close(uc);
    return found;
}

static long monitor_location(void) {
    if (monitor_offset == -2)
        monitor_offset = calibrate_monitor();
    return monitor_offset;
}

/* Read the monitor: out[0] the marked address (UINT64_MAX when none), out[1] the value LDREX
 * loaded. Returns 0, or -1 when the monitor cannot be located in this libunicorn. */
int cc_monitor_get(uc_engine *uc, uint64_t *out) {
    long off = monitor_location();
    uc_context *ctx = NULL;
    if (off < 0 || uc_context_alloc(uc, &ctx) != UC_ERR_OK)
        return -1;
    int rc = -1;
    if (uc_context_save(uc, ctx) == UC_ERR_OK) {
        memcpy(&out[0], (uint8_t *)ctx + off, 8);
        memcpy(&out[1], (uint8_t *)ctx + off + 8, 8);
        rc = 0;
    }
    uc_context_free(ctx);
    return rc;
}

/* Set the monitor (address UINT64_MAX clears it); the rest of the CPU state is left as it is. */
int cc_monitor_set(uc_engine *uc, uint64_t addr, uint64_t val) {
    long off = monitor_location();
    uc_context *ctx = NULL;
    if (off < 0 || uc_context_alloc(uc, &ctx) != UC_ERR_OK)
        return -1;
    int rc = -1;
    if (uc_context_save(uc, ctx) == UC_ERR_OK) {
        memcpy((uint8_t *)ctx + off, &addr, 8);
        memcpy((uint8_t *)ctx + off + 8, &val, 8);
        rc = uc_context_restore(uc, ctx) == UC_ERR_OK ? 0 : -1;
    }
    uc_context_free(ctx);
    return rc;
}

/* Profiling: record in `reads` (one bit per page) every page a load reaches through a TLB fill;
 * flush the TLB after setting it so that every page read from then on fills once. NULL stops. */
void cc_set_reads(void *state, uint32_t *reads) { ((cc_state *)state)->reads = reads; }

/*
 * Guest memory. Each guest's 4 GiB is a reservation of address space only (MAP_NORESERVE): the
 * host commits a page when it is first touched, and fork(2) of the host does not count the range
 * against its overcommit limit. A reservation is never unmapped, because JS views over it may
 * outlive its guest; discarding one hands its pages back and leaves the range mapped.
 *
 * A forked guest shares unchanged pages with its parent through an image: a memfd holding the
 * parent's pages, which both map MAP_PRIVATE in place of their reservations (same addresses, so JS
 * views and Unicorn's pointer stay valid), the host copying a page when either side writes it.
 * Later forks of the same parent map the same image and copy only the pages the parent has
 * written since (found in /proc/self/pagemap: a private copy is an anonymous page).
 */
#include <fcntl.h>
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE_BYTES ((uint64_t)1 << PAGE_SHIFT)

/* The next run of set bits at or after bit *pos of `bits` (`words` 32-bit words): its first bit
 * and length, *pos moved past it; 0 when there is none. */
static int next_run(const uint32_t *bits, uint64_t words, uint64_t *pos, uint64_t *first, uint64_t *count) {
    uint64_t total = words * 32, p = *pos;
    while (p < total) {
        uint32_t w = bits[p >> 5] >> (p & 31);
        if (w) {
            p += (uint64_t)__builtin_ctz(w);
            break;
        }
        p = (p | 31) + 1;
    }
    if (p >= total)
        return 0;
    *first = p;
    while (p < total && ((bits[p >> 5] >> (p & 31)) & 1))
        p += ((p & 31) == 0 && bits[p >> 5] == 0xffffffffu) ? 32 : 1;
    *count = p - *first;
    *pos = p;
    return 1;
}

/* Reserve `size` bytes of zero-filled address space; NULL when the host refuses. */
void *cc_mem_reserve(uint64_t size) {
    void *p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Give every page of a reservation back to the host and drop any image under it: the range is
 * mapped afresh, zero-filled, at the same address. 0, or -1 with errno. */
int cc_mem_discard(void *base, uint64_t size) {
    void *p = mmap(base, (size_t)size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
    return p == MAP_FAILED ? -1 : 0;
}

/* A new image of `size` bytes holding the pages of `base` set in `pages` (holes elsewhere read as
 * zeros): its file descriptor, or -1 with errno. */
int cc_mem_image_new(const uint8_t *base, uint64_t size, const uint32_t *pages, uint64_t words) {
    int fd = (int)syscall(SYS_memfd_create, "clonecloud-guest", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) != 0)
        goto fail;
    uint64_t pos = 0, first, count;
    while (next_run(pages, words, &pos, &first, &count)) {
        uint64_t off = first * PAGE_BYTES, end = (first + count) * PAGE_BYTES;
        while (off < end) {
            ssize_t n = pwrite(fd, base + off, (size_t)(end - off), (off_t)off);
            if (n <= 0)
                goto fail;
            off += (uint64_t)n;
        }
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Map image `fd` copy-on-write over [base, base+size). 0, or -1 with errno. */
int cc_mem_map_image(void *base, uint64_t size, int fd) {
    void *p = mmap(base, (size_t)size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, fd, 0);
    return p == MAP_FAILED ? -1 : 0;
}

/* Close an image's descriptor (its pages live on while a range maps them). */
void cc_mem_image_close(int fd) { close(fd); }

/* Of the pages of `base` set in `candidates`, set in `out` those that hold a private copy rather
 * than the image's page (written since the image was mapped): returns their number, or -1. */
int64_t cc_mem_diverged(const uint8_t *base, const uint32_t *candidates, uint64_t words, uint32_t *out) {
    static int pagemap = -1;
    if (pagemap < 0 && (pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    uint64_t entries[512];
    uint64_t base_page = (uint64_t)(uintptr_t)base >> PAGE_SHIFT;
    uint64_t pos = 0, first, count;
    int64_t n = 0;
    while (next_run(candidates, words, &pos, &first, &count)) {
        for (uint64_t done = 0; done < count;) {
            uint64_t chunk = count - done < 512 ? count - done : 512;
            off_t at = (off_t)((base_page + first + done) * sizeof(uint64_t));
            if (pread(pagemap, entries, (size_t)(chunk * sizeof(uint64_t)), at) != (ssize_t)(chunk * sizeof(uint64_t)))
                return -1;
            for (uint64_t k = 0; k < chunk; k++) {
                uint64_t e = entries[k];
                /* bit 63 present, 62 swapped, 61 file page or shared: a present page that is not
                 * the file's, or a swapped one (only anonymous pages swap), is a private copy. */
                int private_copy = ((e >> 63) & 1 && !((e >> 61) & 1)) || ((e >> 62) & 1);
                if (private_copy) {
                    uint64_t page = first + done + k;
                    out[page >> 5] |= 1u << (page & 31);
                    n++;
                }
            }
            done += chunk;
        }
    }
    return n;
}

/* Copy the pages set in `pages` from `src` to `dst`, a run of consecutive pages at a time. */
void cc_mem_copy_pages(uint8_t *dst, const uint8_t *src, const uint32_t *pages, uint64_t words) {
    uint64_t pos = 0, first, count;
    while (next_run(pages, words, &pos, &first, &count))
        memcpy(dst + first * PAGE_BYTES, src + first * PAGE_BYTES, (size_t)(count * PAGE_BYTES));
}
