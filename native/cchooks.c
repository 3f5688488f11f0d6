/*
 * Native hot hooks for clonecloud. Unicorn calls these on every translated-block entry and on
 * every software-TLB miss; a JS callback there would cost ~165 ns a call, so they live here and
 * share their state with JS through memory the JS side owns (SharedArrayBuffers):
 *
 *   counters[]  uint64 slots (layout below), read and reset by JS without copying
 *   dirty[]     one bit per 4 KiB guest page, set on the first guest write since the last re-arm
 *   touched[]   one bit per page, set on any write since the page was mapped
 *   perms[]     one byte per page: PROT_READ|PROT_WRITE|PROT_EXEC bits | PAGE_MAPPED
 *   mem         the guest's memory: guest address == offset (a 4 GiB SharedArrayBuffer)
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
    /* slot 3 is free */
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
    uc_hook probe_hook;
    uint64_t ikey[ICACHE_SIZE];
    uint16_t ival[ICACHE_SIZE];
    uc_hook block_hook;
    uc_hook tlb_hook;
} cc_state;

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
    c[C_INSNS] = total;
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
    if (st->probing) {
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
    if (type != UC_MEM_FETCH)
        clear_stale_it_state(uc);
    return true;
refuse:
    c[C_FAULT_ADDR] = vaddr;
    c[C_FAULT_TYPE] = (uint64_t)type;
    c[C_FAULT_PERMS] = p;
    return false;
}

/* Allocate the hook state over JS-owned buffers. `flags`: bit 0 counts instructions, bit 1
 * tracks dirty pages (both on normally; off only to measure what they cost). */
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
    memset(st->ikey, 0xff, sizeof(st->ikey));
    return st;
}

/* Release the hook state (after the engine is closed or the hooks removed). */
void cc_state_free(void *st) { free(st); }

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
int cc_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
    return uc_ctl_remove_cache(uc, begin, end);
}
