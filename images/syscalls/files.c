/*
 * Regular files: the descriptor calls, then the older path calls.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- files ---- */

void test_files(void)
{
    static uint8_t data[2 * PAGE];
    fill(data, sizeof data, 5);

    /* openat / write / close, then openat / read / close. */
    long fd = sys_openat(WORK "/data.bin", O_WRONLY | O_CREAT | O_EXCL, 0644);
    long w = fd >= 0 ? sys_write(fd, data, sizeof data) : -1;
    long c = fd >= 0 ? sys_close(fd) : -1;
    check("openat create", fd >= 0, "%s", errno_name(errno));
    check("write", w == (long)sizeof data, "wrote %ld bytes", w);
    check("close", c == 0, "close failed");

    fd = sys_openat(WORK "/data.bin", O_RDONLY, 0);
    uint8_t back[2 * PAGE];
    long total = 0, n;
    /* read may return short counts; loop like a real program would. */
    while (fd >= 0 && (n = sys_read(fd, back + total, sizeof back - (size_t)total)) > 0)
        total += n;
    n = fd >= 0 ? sys_read(fd, back, 1) : -1;
    check("read", total == (long)sizeof back && memcmp(back, data, sizeof data) == 0 && n == 0,
          "read %ld bytes", total);
    sys_close(fd);

    long r = sys_openat(WORK "/data.bin", O_WRONLY | O_CREAT | O_EXCL, 0644);
    check_errno("openat O_EXCL existing", r, errno, EEXIST);
    r = sys_openat(WORK "/data.bin", O_RDONLY | O_DIRECTORY, 0);
    check_errno("openat O_DIRECTORY on file", r, errno, ENOTDIR);
    r = sys_openat(WORK "/missing", O_RDONLY, 0);
    check_errno("openat missing", r, errno, ENOENT);

    /* writev with three pieces, readv with a different split. */
    fd = sys_openat(WORK "/vec.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec out[3] = { { "alpha-", 6 }, { "beta-", 5 }, { "gamma\n", 6 } };
    w = syscall(SYS_writev, fd, out, 3);
    check("writev", w == 17, "wrote %ld bytes", w);
    char p1[4], p2[8], p3[8];
    struct iovec in[3] = { { p1, sizeof p1 }, { p2, sizeof p2 }, { p3, sizeof p3 } };
    int64_t pos;
    sys_llseek(fd, 0, SEEK_SET, &pos);
    r = syscall(SYS_readv, fd, in, 3);
    char joined[20];
    memcpy(joined, p1, 4);
    memcpy(joined + 4, p2, 8);
    memcpy(joined + 12, p3, 5);
    check("readv", r == 17 && memcmp(joined, "alpha-beta-gamma\n", 17) == 0, "read %ld bytes", r);
    sys_close(fd);

    /* pread64 / pwrite64 leave the file offset alone. */
    fd = sys_openat(WORK "/data.bin", O_RDWR, 0);
    sys_llseek(fd, 7, SEEK_SET, &pos);
    w = sys_pwrite64(fd, "PWRITE", 6, 5000);
    char got[6];
    n = sys_pread64(fd, got, sizeof got, 5000);
    int64_t after = -1;
    sys_llseek(fd, 0, SEEK_CUR, &after);
    check("pwrite64", w == 6, "%s", errno_name(errno));
    check("pread64", n == 6 && memcmp(got, "PWRITE", 6) == 0 && after == 7,
          n != 6 ? "short read" : after != 7 ? "moved the file offset" : "wrong data");
    sys_pwrite64(fd, data + 5000, 6, 5000); /* restore the pattern */

    /* _llseek: SET, CUR, END, beyond EOF, and a negative result. */
    int64_t a = -1, b = -1, e = -1;
    long r1 = sys_llseek(fd, 100, SEEK_SET, &a);
    long r2 = sys_llseek(fd, 28, SEEK_CUR, &b);
    long r3 = sys_llseek(fd, -8, SEEK_END, &e);
    check("_llseek", r1 == 0 && r2 == 0 && r3 == 0 && a == 100 && b == 128 &&
                         e == (int64_t)sizeof data - 8,
          "wrong resulting offsets");
    uint8_t tail[8];
    n = sys_read(fd, tail, sizeof tail);
    check("read at SEEK_END-8", n == 8 && memcmp(tail, data + sizeof data - 8, 8) == 0,
          "read %ld bytes", n);

    /* Writing past EOF leaves a hole that reads back as zeros. */
    const int64_t hole_at = (int64_t)sizeof data + 1000;
    r = sys_llseek(fd, hole_at, SEEK_SET, &pos);
    w = sys_write(fd, "!", 1);
    uint8_t hole[1000];
    n = sys_pread64(fd, hole, sizeof hole, sizeof data);
    struct kstat64 st;
    long s = sys_fstat64(fd, &st);
    check("_llseek beyond EOF", r == 0 && pos == hole_at && w == 1 && n == 1000 &&
                                    all_zero(hole, sizeof hole) && s == 0 &&
                                    st.st_size == hole_at + 1,
          "hole or size wrong");
    r = sys_llseek(fd, -1, SEEK_SET, &pos);
    check_errno("_llseek negative", r, errno, EINVAL);

    /* ftruncate64 back to the original size, then grow and shrink. */
    r = sys_ftruncate64(fd, sizeof data);
    s = sys_fstat64(fd, &st);
    check("ftruncate64 shrink", r == 0 && s == 0 && st.st_size == (int64_t)sizeof data,
          "size is wrong");
    r = sys_ftruncate64(fd, 3 * PAGE);
    n = sys_pread64(fd, hole, sizeof hole, 2 * PAGE);
    s = sys_fstat64(fd, &st);
    int grew = r == 0 && s == 0 && st.st_size == 3 * PAGE && n == 1000 && all_zero(hole, 1000);
    r = sys_ftruncate64(fd, sizeof data);
    check("ftruncate64 grow", grew && r == 0, "size or zero fill is wrong");

    /* fstat64 / fstatat64 / statx agree on type, size and inode. */
    s = sys_fstat64(fd, &st);
    check("fstat64", s == 0 && S_ISREG(st.st_mode) && st.st_size == (int64_t)sizeof data &&
                         st.st_nlink == 1,
          "wrong type, size or link count");
    struct kstat64 st2;
    s = sys_fstatat64(WORK "/data.bin", &st2, AT_SYMLINK_NOFOLLOW);
    check("fstatat64", s == 0 && st2.st_ino == st.st_ino && st2.st_size == st.st_size,
          "disagrees with fstat64");
    struct kstat64 dst;
    s = sys_fstatat64(WORK, &dst, 0);
    check("fstatat64 directory", s == 0 && S_ISDIR(dst.st_mode), "not a directory");
    struct statx sx;
    s = syscall(SYS_statx, AT_FDCWD, WORK "/data.bin", 0, STATX_BASIC_STATS, &sx);
    check("statx", s == 0 && (sx.stx_mask & (STATX_TYPE | STATX_SIZE | STATX_INO)) ==
                                 (STATX_TYPE | STATX_SIZE | STATX_INO) &&
                       S_ISREG(sx.stx_mode) && sx.stx_size == (uint64_t)sizeof data &&
                       sx.stx_ino == st.st_ino,
          "disagrees with fstat64");
    s = sys_fstatat64(WORK "/missing", &st2, 0);
    check_errno("fstatat64 missing", s, errno, ENOENT);

    /* ioctl(TCGETS) on a regular file is the classic isatty() probe. */
    uint8_t termios_buf[64];
    r = syscall(SYS_ioctl, fd, TCGETS, termios_buf);
    check_errno("ioctl TCGETS on file", r, errno, ENOTTY);

    /* fcntl64: flags, append mode, close-on-exec, duplication. */
    long fl = sys_fcntl64(fd, F_GETFL, 0);
    check("fcntl64 F_GETFL", fl != -1 && (fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND),
          "wrong flags");
    r = sys_fcntl64(fd, F_SETFL, O_APPEND);
    fl = sys_fcntl64(fd, F_GETFL, 0);
    sys_llseek(fd, 0, SEEK_SET, &pos);
    w = sys_write(fd, "Z", 1); /* O_APPEND: lands at the end despite the seek */
    uint8_t z = 0;
    n = sys_pread64(fd, &z, 1, sizeof data);
    check("fcntl64 F_SETFL O_APPEND", r == 0 && (fl & O_APPEND) && w == 1 && n == 1 && z == 'Z',
          "append mode not honoured");
    sys_fcntl64(fd, F_SETFL, 0);
    sys_ftruncate64(fd, sizeof data);

    long fdfl = sys_fcntl64(fd, F_GETFD, 0);
    r = sys_fcntl64(fd, F_SETFD, FD_CLOEXEC);
    long fdfl2 = sys_fcntl64(fd, F_GETFD, 0);
    check("fcntl64 F_GETFD/F_SETFD", fdfl == 0 && r == 0 && fdfl2 == FD_CLOEXEC,
          "close-on-exec flag not tracked");

    long hi = sys_fcntl64(fd, F_DUPFD, 10);
    long hifl = hi >= 0 ? sys_fcntl64(hi, F_GETFD, 0) : -1;
    check("fcntl64 F_DUPFD", hi >= 10 && hifl == 0, "bad descriptor or inherited FD_CLOEXEC");
    if (hi >= 0)
        sys_close(hi);

    /* dup shares the file offset; dup3 atomically replaces its target. */
    long d = syscall(SYS_dup, fd);
    sys_llseek(fd, 0, SEEK_SET, &pos);
    sys_llseek(d, 321, SEEK_SET, &pos);
    int64_t seen = -1;
    sys_llseek(fd, 0, SEEK_CUR, &seen);
    long dfl = d >= 0 ? sys_fcntl64(d, F_GETFD, 0) : -1;
    check("dup", d >= 0 && seen == 321 && dfl == 0, "offset not shared or FD_CLOEXEC copied");

    long other = sys_openat(WORK "/vec.txt", O_RDONLY, 0);
    r = syscall(SYS_dup3, fd, other, O_CLOEXEC);
    struct kstat64 ost;
    s = sys_fstat64(other, &ost);
    long ofl = sys_fcntl64(other, F_GETFD, 0);
    check("dup3", r == other && s == 0 && ost.st_ino == st.st_ino && ofl == FD_CLOEXEC,
          "target not replaced or O_CLOEXEC not applied");
    r = syscall(SYS_dup3, fd, fd, 0);
    check_errno("dup3 same fd", r, errno, EINVAL);
    sys_close(other);
    sys_close(d);

    /* readlinkat on something that is not a symlink. */
    char link[64];
    r = syscall(SYS_readlinkat, AT_FDCWD, WORK "/data.bin", link, sizeof link);
    check_errno("readlinkat on regular file", r, errno, EINVAL);
    r = syscall(SYS_readlinkat, AT_FDCWD, WORK "/missing", link, sizeof link);
    check_errno("readlinkat missing", r, errno, ENOENT);

    r = sys_faccessat(WORK "/data.bin", R_OK | W_OK);
    check("faccessat", r == 0, "%s", errno_name(errno));
    r = sys_faccessat(WORK "/missing", F_OK);
    check_errno("faccessat missing", r, errno, ENOENT);

    /* Error paths on descriptors: use one that was open and is now closed. */
    long dead = d;
    r = sys_read(dead, link, 1);
    check_errno("read bad fd", r, errno, EBADF);
    r = sys_close(dead);
    check_errno("close bad fd", r, errno, EBADF);

    sys_close(fd);
}

/*
 * The older path and descriptor calls (open, lseek, stat64, access, ...)
 * and the remaining descriptor calls. Uses work/data.bin from test_files
 * (8 KiB of pattern salt 5) without changing it.
 */
void test_files_more(void)
{
    const char *data = WORK "/data.bin";
    struct kstat64 fst, st;

    /* open (the pre-*at call): create exclusively, then refuse a second time. */
    long fd = syscall(SYS_open, WORK "/old.txt", O_WRONLY | O_CREAT | O_EXCL | O_LARGEFILE, 0644);
    long w = fd >= 0 ? sys_write(fd, "0123456789", 10) : -1;
    check("open create", fd >= 0 && w == 10, "%s", errno_name(errno));
    sys_close(fd);
    long r = syscall(SYS_open, WORK "/old.txt", O_WRONLY | O_CREAT | O_EXCL | O_LARGEFILE, 0644);
    check_errno("open O_EXCL existing", r, errno, EEXIST);
    r = syscall(SYS_open, WORK "/missing", O_RDONLY | O_LARGEFILE, 0);
    check_errno("open missing", r, errno, ENOENT);

    /* lseek (32-bit): returns the new offset; reads follow it. */
    fd = syscall(SYS_open, data, O_RDONLY | O_LARGEFILE, 0);
    long a = syscall(SYS_lseek, fd, 100, SEEK_SET);
    long b = syscall(SYS_lseek, fd, 28, SEEK_CUR);
    long e = syscall(SYS_lseek, fd, -8, SEEK_END);
    uint8_t tail[8];
    long n = sys_read(fd, tail, sizeof tail);
    int tail_ok = 1;
    for (uint32_t i = 0; i < 8; i++)
        tail_ok &= tail[i] == pattern(2 * PAGE - 8 + i, 5);
    check("lseek", a == 100 && b == 128 && e == 2 * PAGE - 8 && n == 8 && tail_ok,
          "wrong offsets or data");
    r = syscall(SYS_lseek, fd, -1, SEEK_SET);
    check_errno("lseek negative", r, errno, EINVAL);
    r = syscall(SYS_lseek, fd, 0, 7);
    check_errno("lseek bad whence", r, errno, EINVAL);

    /* Descriptor access modes are enforced. */
    r = sys_write(fd, "x", 1);
    check_errno("write on read-only fd", r, errno, EBADF);
    r = syscall(SYS_ftruncate64, fd, 0, 0, 0);
    check_errno("ftruncate64 on read-only fd", r, errno, EINVAL);
    r = syscall(SYS_getdents64, fd, tail, sizeof tail);
    check_errno("getdents64 on file", r, errno, ENOTDIR);

    /* fcntl (the 32-bit-offset call, same commands as fcntl64 here). */
    long fl = syscall(SYS_fcntl, fd, F_GETFL);
    check("fcntl F_GETFL", fl != -1 && (fl & O_ACCMODE) == O_RDONLY, "wrong flags");

    /* fsync / fdatasync on a regular file. */
    r = syscall(SYS_fsync, fd);
    check("fsync", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_fdatasync, fd);
    check("fdatasync", r == 0, "%s", errno_name(errno));

    /* stat64 and lstat64 see the same regular file as fstat64. */
    long s0 = sys_fstat64(fd, &fst);
    long s1 = syscall(SYS_stat64, data, &st);
    check("stat64", s0 == 0 && s1 == 0 && S_ISREG(st.st_mode) && st.st_ino == fst.st_ino &&
                        st.st_size == 2 * PAGE,
          "disagrees with fstat64");
    s1 = syscall(SYS_lstat64, data, &st);
    check("lstat64", s1 == 0 && S_ISREG(st.st_mode) && st.st_ino == fst.st_ino &&
                         st.st_size == 2 * PAGE,
          "disagrees with stat64");
    s1 = syscall(SYS_stat64, WORK, &st);
    check("stat64 directory", s1 == 0 && S_ISDIR(st.st_mode), "not a directory");
    s1 = syscall(SYS_stat64, WORK "/missing", &st);
    check_errno("stat64 missing", s1, errno, ENOENT);
    s1 = syscall(SYS_lstat64, WORK "/missing", &st);
    check_errno("lstat64 missing", s1, errno, ENOENT);

    /* dup2: the target is replaced, shares the offset and loses FD_CLOEXEC. */
    long other = sys_openat(WORK "/old.txt", O_RDONLY | O_CLOEXEC, 0);
    r = syscall(SYS_dup2, fd, other);
    syscall(SYS_lseek, fd, 77, SEEK_SET);
    long seen = syscall(SYS_lseek, other, 0, SEEK_CUR);
    long ofl = sys_fcntl64(other, F_GETFD, 0);
    s1 = sys_fstat64(other, &st);
    check("dup2", other >= 0 && r == other && seen == 77 && ofl == 0 && s1 == 0 &&
                      st.st_ino == fst.st_ino,
          "target not replaced, offset not shared or FD_CLOEXEC kept");
    r = syscall(SYS_dup2, fd, fd);
    check("dup2 same fd", r == fd, "did not return the descriptor");
    sys_close(other);
    r = syscall(SYS_dup2, other, other);
    check_errno("dup2 bad fd", r, errno, EBADF);
    r = syscall(SYS_ioctl, other, TCGETS, tail);
    check_errno("ioctl bad fd", r, errno, EBADF);
    r = syscall(SYS_fsync, other);
    check_errno("fsync bad fd", r, errno, EBADF);
    sys_close(fd);

    /* pwritev / preadv at an offset (split into low and high words) leave
       the file offset alone; the skipped bytes read as zeros. */
    fd = sys_openat(WORK "/vec.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec out[2] = { { "hello", 5 }, { "world", 5 } };
    const uint64_t at = 3;
    w = syscall(SYS_pwritev, fd, out, 2, (uint32_t)at, (uint32_t)(at >> 32));
    long cur = syscall(SYS_lseek, fd, 0, SEEK_CUR);
    check("pwritev", w == 10 && cur == 0, w != 10 ? "short write" : "moved the file offset");
    char p1[6], p2[7];
    struct iovec in[2] = { { p1, sizeof p1 }, { p2, sizeof p2 } };
    n = syscall(SYS_preadv, fd, in, 2, 1, 0);
    cur = syscall(SYS_lseek, fd, 0, SEEK_CUR);
    check("preadv", n == 12 && memcmp(p1, "\0\0hell", 6) == 0 && memcmp(p2, "oworld", 6) == 0 &&
                        cur == 0,
          n != 12 ? "wrong length" : cur ? "moved the file offset" : "wrong data");
    sys_close(fd);

    /* truncate64 by path; the 64-bit length follows a padding register. */
    r = syscall(SYS_truncate64, WORK "/vec.bin", 0, 5, 0);
    s1 = syscall(SYS_stat64, WORK "/vec.bin", &st);
    check("truncate64", r == 0 && s1 == 0 && st.st_size == 5, "size is wrong");
    r = syscall(SYS_truncate64, WORK "/vec.bin", 0, 3 * PAGE, 0);
    s1 = syscall(SYS_stat64, WORK "/vec.bin", &st);
    uint8_t grown[64];
    fd = sys_openat(WORK "/vec.bin", O_RDONLY, 0);
    n = sys_pread64(fd, grown, sizeof grown, 2 * PAGE);
    sys_close(fd);
    check("truncate64 grow", r == 0 && s1 == 0 && st.st_size == 3 * PAGE && n == 64 &&
                                 all_zero(grown, sizeof grown),
          "size or zero fill is wrong");
    r = syscall(SYS_truncate64, WORK, 0, 0, 0);
    check_errno("truncate64 directory", r, errno, EISDIR);
    r = syscall(SYS_truncate64, WORK "/missing", 0, 0, 0);
    check_errno("truncate64 missing", r, errno, ENOENT);

    /* access / faccessat2 on a file this program owns. */
    r = syscall(SYS_access, data, R_OK | W_OK);
    check("access", r == 0, "%s", errno_name(errno));
    r = syscall(SYS_access, WORK "/missing", F_OK);
    check_errno("access missing", r, errno, ENOENT);
    r = syscall(SYS_access, data, 8);
    check_errno("access bad mode", r, errno, EINVAL);
    long f1 = syscall(SYS_faccessat2, AT_FDCWD, data, R_OK, 0);
    int e1 = errno;
    long f2 = syscall(SYS_faccessat2, AT_FDCWD, WORK "/missing", F_OK, 0);
    int e2 = errno;
    int real = f1 == 0 && f2 == -1 && e2 == ENOENT;
    int absent = f1 == -1 && e1 == ENOSYS && f2 == -1 && e2 == ENOSYS;
    handled("faccessat2", real || absent, f1 ? e1 : e2);

    /* readlink (the pre-*at call) on things that are not symlinks. */
    char link[64];
    r = syscall(SYS_readlink, data, link, sizeof link);
    check_errno("readlink on regular file", r, errno, EINVAL);
    r = syscall(SYS_readlink, WORK "/missing", link, sizeof link);
    check_errno("readlink missing", r, errno, ENOENT);

    sys_unlinkat(WORK "/old.txt", 0);
    sys_unlinkat(WORK "/vec.bin", 0);
}
