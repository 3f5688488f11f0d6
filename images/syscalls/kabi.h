/*
 * The kernel interface the checks talk to: ARM EABI structure layouts,
 * syscall numbers newer C library headers may lack, and thin raw-syscall
 * wrappers. Shared by every check file, so the wrappers are inline.
 */
#ifndef SYSCALLS_KABI_H
#define SYSCALLS_KABI_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096u                 /* ARM Linux user pages are always 4 KiB */
#define EPOCH_2001 978307200LL     /* any sane wall clock is past this */
#define WORK "work"

/* ---- kernel ABI structures (ARM EABI layouts, not glibc's) ---- */

/* struct stat64 as the ARM kernel fills it for fstat64/fstatat64. */
struct kstat64 {
    uint64_t st_dev;
    uint8_t pad0[4];
    uint32_t st_ino32;
    uint32_t st_mode;
    uint32_t st_nlink;
    uint32_t st_uid;
    uint32_t st_gid;
    uint64_t st_rdev;
    uint8_t pad3[4];
    int64_t st_size;
    uint32_t st_blksize;
    uint64_t st_blocks;
    uint32_t st_atime_, st_atime_nsec, st_mtime_, st_mtime_nsec, st_ctime_, st_ctime_nsec;
    uint64_t st_ino;
};
_Static_assert(sizeof(struct kstat64) == 104, "ARM struct stat64 is 104 bytes");
_Static_assert(offsetof(struct kstat64, st_size) == 48, "st_size offset");
_Static_assert(offsetof(struct kstat64, st_ino) == 96, "st_ino offset");

/* What getdents64 returns, one record after another. */
struct kdirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

struct ktimespec32 { int32_t tv_sec; int32_t tv_nsec; };   /* clock_gettime, nanosleep */
struct ktimespec64 { int64_t tv_sec; int64_t tv_nsec; };   /* clock_gettime64 */
struct ktimeval32 { int32_t tv_sec; int32_t tv_usec; };    /* gettimeofday */
struct krlimit32 { uint32_t cur, max; };                   /* ugetrlimit */
struct krlimit64 { uint64_t cur, max; };                   /* prlimit64 */
struct krobust_list_head { void *next; long futex_offset; void *pending; };
/* rt_sigaction's struct: handler, flags, restorer, then the 64-bit mask. */
struct ksigaction { void *handler; uint32_t flags; void *restorer; uint32_t mask[2]; };
struct kstack { void *sp; int32_t flags; uint32_t size; };  /* sigaltstack's stack_t */
_Static_assert(sizeof(struct ksigaction) == 20, "ARM kernel sigaction is 20 bytes");
_Static_assert(sizeof(struct kstack) == 12, "ARM stack_t is 12 bytes");

/* Syscall numbers from asm/unistd.h for the time64 and newer calls, in
   case the C library headers predate them. */
#ifndef SYS_clock_getres_time64
#define SYS_clock_getres_time64 406
#endif
#ifndef SYS_clock_nanosleep_time64
#define SYS_clock_nanosleep_time64 407
#endif
#ifndef SYS_futex_time64
#define SYS_futex_time64 422
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif
#ifndef __ARM_NR_set_tls
#define __ARM_NR_set_tls 0x0f0005
#endif

/* ---- thin raw-syscall wrappers (return -1 and set errno on failure) ---- */

static inline long sys_openat(const char *path, int flags, int mode)
{
    /* glibc adds O_LARGEFILE on 32-bit targets; do the same. */
    return syscall(SYS_openat, AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

static inline long sys_close(long fd) { return syscall(SYS_close, fd); }

static inline long sys_write(long fd, const void *buf, size_t n) { return syscall(SYS_write, fd, buf, n); }

static inline long sys_read(long fd, void *buf, size_t n) { return syscall(SYS_read, fd, buf, n); }

/*
 * ARM EABI passes 64-bit syscall arguments in an even/odd register pair,
 * low word first, inserting an unused register before them when needed.
 * syscall() just copies its arguments to r0..r6, so the padding and the
 * split are spelled out here.
 */
static inline long sys_pread64(long fd, void *buf, size_t n, uint64_t off)
{
    return syscall(SYS_pread64, fd, buf, n, 0, (uint32_t)off, (uint32_t)(off >> 32));
}

static inline long sys_pwrite64(long fd, const void *buf, size_t n, uint64_t off)
{
    return syscall(SYS_pwrite64, fd, buf, n, 0, (uint32_t)off, (uint32_t)(off >> 32));
}

static inline long sys_ftruncate64(long fd, uint64_t len)
{
    return syscall(SYS_ftruncate64, fd, 0, (uint32_t)len, (uint32_t)(len >> 32));
}

/* _llseek takes the offset as (high, low) words and stores the result. */
static inline long sys_llseek(long fd, int64_t off, int whence, int64_t *result)
{
    uint64_t u = (uint64_t)off;
    return syscall(SYS__llseek, fd, (uint32_t)(u >> 32), (uint32_t)u, result, whence);
}

static inline long sys_fstat64(long fd, struct kstat64 *st) { return syscall(SYS_fstat64, fd, st); }

static inline long sys_fstatat64(const char *path, struct kstat64 *st, int flags)
{
    return syscall(SYS_fstatat64, AT_FDCWD, path, st, flags);
}

static inline long sys_mkdirat(const char *path, int mode) { return syscall(SYS_mkdirat, AT_FDCWD, path, mode); }

static inline long sys_unlinkat(const char *path, int flags) { return syscall(SYS_unlinkat, AT_FDCWD, path, flags); }

static inline long sys_faccessat(const char *path, int mode) { return syscall(SYS_faccessat, AT_FDCWD, path, mode); }

static inline long sys_fcntl64(long fd, int cmd, long arg) { return syscall(SYS_fcntl64, fd, cmd, arg); }

static inline void *sys_mmap2(void *addr, size_t len, int prot, int flags, long fd, uint32_t pgoff)
{
    return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, pgoff);
}


#endif
