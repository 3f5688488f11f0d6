/*
 * Directories: listing, creation, removal and renaming.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/* ---- directories ---- */

void test_dirs(void)
{
    /* getcwd returns the length including the NUL; chdir moves it. */
    char base[1024], inside[1024], again[1024];
    long n0 = syscall(SYS_getcwd, base, sizeof base);
    check("getcwd", n0 > 0 && base[0] == '/' && (size_t)n0 == strlen(base) + 1,
          "bad path or length");
    long r = syscall(SYS_chdir, WORK);
    long n1 = syscall(SYS_getcwd, inside, sizeof inside);
    char want[1100];
    snprintf(want, sizeof want, "%s/%s", strcmp(base, "/") == 0 ? "" : base, WORK);
    long r2 = syscall(SYS_chdir, "..");
    long n2 = syscall(SYS_getcwd, again, sizeof again);
    check("chdir", r == 0 && r2 == 0 && n1 > 0 && n2 > 0 && strcmp(inside, want) == 0 &&
                       strcmp(again, base) == 0,
          "getcwd does not follow chdir");
    r = syscall(SYS_chdir, WORK "/data.bin");
    check_errno("chdir to file", r, errno, ENOTDIR);
    char tiny[1]; /* too small even for "/" plus its NUL */
    r = syscall(SYS_getcwd, tiny, sizeof tiny);
    check_errno("getcwd small buffer", r, errno, ERANGE);

    /* Build work/dir with three files and a subdirectory. */
    r = sys_mkdirat(WORK "/dir", 0755);
    check("mkdirat", r == 0, "%s", errno_name(errno));
    r = sys_mkdirat(WORK "/dir", 0755);
    check_errno("mkdirat existing", r, errno, EEXIST);
    int made = put_file(WORK "/dir/beta", "b", 1) == 0 && put_file(WORK "/dir/alpha", "a", 1) == 0 &&
               put_file(WORK "/dir/gamma", "g", 1) == 0 && sys_mkdirat(WORK "/dir/sub", 0700) == 0;

    char store[512];
    const char *names[MAX_NAMES];
    unsigned char types[MAX_NAMES];
    int cnt = list_dir(WORK "/dir", store, sizeof store, names, types);
    int ok = made && cnt == 4 && strcmp(names[0], "alpha") == 0 && strcmp(names[1], "beta") == 0 &&
             strcmp(names[2], "gamma") == 0 && strcmp(names[3], "sub") == 0;
    /* Some filesystems report DT_UNKNOWN; otherwise the type must be right. */
    for (int i = 0; ok && i < cnt; i++) {
        unsigned char want_type = i == 3 ? DT_DIR : DT_REG;
        ok = types[i] == want_type || types[i] == DT_UNKNOWN;
    }
    if (ok || cnt < 0) {
        check("getdents64", ok, "%s", cnt < 0 ? errno_name(errno) : "setup failed");
    } else {
        char seen[256] = "";
        for (int i = 0; i < cnt; i++) {
            strncat(seen, " ", sizeof seen - strlen(seen) - 1);
            strncat(seen, names[i], sizeof seen - strlen(seen) - 1);
        }
        check("getdents64", 0, "sorted entries:%s", seen);
    }

    /* renameat: old name gone, new one present with the same inode. */
    struct kstat64 before, after;
    sys_fstatat64(WORK "/dir/gamma", &before, 0);
    r = syscall(SYS_renameat, AT_FDCWD, WORK "/dir/gamma", AT_FDCWD, WORK "/dir/delta");
    long gone = sys_faccessat(WORK "/dir/gamma", F_OK);
    int gone_errno = errno;
    long s = sys_fstatat64(WORK "/dir/delta", &after, 0);
    check("renameat", r == 0 && gone == -1 && gone_errno == ENOENT && s == 0 &&
                          after.st_ino == before.st_ino,
          "rename not visible");

    /* Error paths Linux answers unambiguously. */
    r = sys_unlinkat(WORK "/dir/sub", 0);
    check_errno("unlinkat directory", r, errno, EISDIR);
    r = sys_unlinkat(WORK "/dir", AT_REMOVEDIR);
    check_errno("unlinkat AT_REMOVEDIR non-empty", r, errno, ENOTEMPTY);
    r = sys_unlinkat(WORK "/dir/alpha", AT_REMOVEDIR);
    check_errno("unlinkat AT_REMOVEDIR on file", r, errno, ENOTDIR);
    r = sys_unlinkat(WORK "/dir/missing", 0);
    check_errno("unlinkat missing", r, errno, ENOENT);

    /* Empty the directory by hand, then remove it. */
    long u1 = sys_unlinkat(WORK "/dir/alpha", 0);
    long u2 = sys_unlinkat(WORK "/dir/beta", 0);
    long u3 = sys_unlinkat(WORK "/dir/delta", 0);
    long a1 = sys_faccessat(WORK "/dir/alpha", F_OK);
    check("unlinkat file", u1 == 0 && u2 == 0 && u3 == 0 && a1 == -1, "file still present");
    long d1 = sys_unlinkat(WORK "/dir/sub", AT_REMOVEDIR);
    long d2 = sys_unlinkat(WORK "/dir", AT_REMOVEDIR);
    long a2 = sys_faccessat(WORK "/dir", F_OK);
    check("unlinkat AT_REMOVEDIR", d1 == 0 && d2 == 0 && a2 == -1, "directory still present");
}

/* Is path absent (ENOENT)? */
static int absent(const char *path)
{
    return sys_faccessat(path, F_OK) == -1 && errno == ENOENT;
}

/* Inode of path, or 0 when it cannot be stat'ed. */
static uint64_t ino_of(const char *path)
{
    struct kstat64 st;
    return syscall(SYS_stat64, path, &st) == 0 ? st.st_ino : 0;
}

/*
 * The older directory calls (mkdir, rmdir, rename, unlink), fchdir,
 * renameat2, and *at() calls relative to a directory descriptor.
 */
void test_dirs_more(void)
{
    struct kstat64 st;

    long r = syscall(SYS_mkdir, WORK "/d2", 0755);
    long s = syscall(SYS_stat64, WORK "/d2", &st);
    check("mkdir", r == 0 && s == 0 && S_ISDIR(st.st_mode), "no directory created");
    r = syscall(SYS_mkdir, WORK "/d2", 0755);
    check_errno("mkdir existing", r, errno, EEXIST);
    r = syscall(SYS_mkdir, WORK "/missing/x", 0755);
    check_errno("mkdir missing parent", r, errno, ENOENT);

    /* fchdir to work/ through a descriptor; getcwd follows; chdir back. */
    char base[1024], inside[1024], want[1100];
    long n0 = syscall(SYS_getcwd, base, sizeof base);
    long dirfd = sys_openat(WORK, O_RDONLY | O_DIRECTORY, 0);
    r = syscall(SYS_fchdir, dirfd);
    long n1 = syscall(SYS_getcwd, inside, sizeof inside);
    snprintf(want, sizeof want, "%s/%s", strcmp(base, "/") == 0 ? "" : base, WORK);
    long r2 = syscall(SYS_chdir, base);
    check("fchdir", n0 > 0 && dirfd >= 0 && r == 0 && n1 > 0 && strcmp(inside, want) == 0 &&
                        r2 == 0,
          "getcwd does not follow fchdir");
    long filefd = sys_openat(WORK "/data.bin", O_RDONLY, 0);
    r = syscall(SYS_fchdir, filefd);
    check_errno("fchdir to file", r, errno, ENOTDIR);
    sys_close(filefd);
    r = syscall(SYS_chdir, WORK "/missing");
    check_errno("chdir missing", r, errno, ENOENT);

    /* *at() calls relative to the work/ descriptor. */
    r = syscall(SYS_mkdirat, dirfd, "d3", 0755);
    s = syscall(SYS_stat64, WORK "/d3", &st);
    check("mkdirat relative to dirfd", r == 0 && s == 0 && S_ISDIR(st.st_mode),
          "not created inside the directory");
    long fd = syscall(SYS_openat, dirfd, "d2/f", O_WRONLY | O_CREAT | O_EXCL | O_LARGEFILE, 0644);
    s = syscall(SYS_stat64, WORK "/d2/f", &st);
    check("openat relative to dirfd", fd >= 0 && s == 0 && S_ISREG(st.st_mode),
          "not created inside the directory");
    sys_close(fd);
    struct kstat64 dst, wst;
    s = syscall(SYS_fstatat64, dirfd, "", &dst, AT_EMPTY_PATH);
    long s2 = syscall(SYS_stat64, WORK, &wst);
    check("fstatat64 AT_EMPTY_PATH", s == 0 && s2 == 0 && dst.st_ino == wst.st_ino &&
                                         S_ISDIR(dst.st_mode),
          "does not describe the descriptor");
    r = syscall(SYS_openat, filefd, "x", O_RDONLY | O_LARGEFILE, 0);
    check_errno("openat bad dirfd", r, errno, EBADF);

    /* rename: the inode moves; an existing file target is replaced. */
    uint64_t f_ino = ino_of(WORK "/d2/f");
    r = syscall(SYS_rename, WORK "/d2/f", WORK "/d2/g");
    check("rename", r == 0 && f_ino != 0 && ino_of(WORK "/d2/g") == f_ino && absent(WORK "/d2/f"),
          "rename not visible");
    put_file(WORK "/d2/h", "h", 1);
    r = syscall(SYS_rename, WORK "/d2/g", WORK "/d2/h");
    check("rename replaces target", r == 0 && ino_of(WORK "/d2/h") == f_ino && absent(WORK "/d2/g"),
          "target not replaced");
    r = syscall(SYS_rename, WORK "/d2/h", WORK "/d3");
    check_errno("rename file onto directory", r, errno, EISDIR);
    r = syscall(SYS_rename, WORK "/d2/missing", WORK "/d2/x");
    check_errno("rename missing", r, errno, ENOENT);

    /* renameat2 with no flags is renameat; unknown flags are refused. */
    r = syscall(SYS_renameat2, AT_FDCWD, WORK "/d2/h", dirfd, "d3/h", 0);
    check("renameat2", r == 0 && ino_of(WORK "/d3/h") == f_ino && absent(WORK "/d2/h"),
          "rename not visible");
    r = syscall(SYS_renameat2, AT_FDCWD, WORK "/d3/h", AT_FDCWD, WORK "/d3/i", 0x40000000);
    check_errno("renameat2 bad flags", r, errno, EINVAL);

    /* rmdir and unlink, with the errors Linux gives. */
    r = syscall(SYS_rmdir, WORK "/d3");
    check_errno("rmdir non-empty", r, errno, ENOTEMPTY);
    r = syscall(SYS_rmdir, WORK "/d3/h");
    check_errno("rmdir on file", r, errno, ENOTDIR);
    r = syscall(SYS_unlink, WORK "/d3");
    check_errno("unlink directory", r, errno, EISDIR);
    r = syscall(SYS_unlink, WORK "/d3/h");
    check("unlink", r == 0 && absent(WORK "/d3/h"), "file still present");
    r = syscall(SYS_unlink, WORK "/d3/h");
    check_errno("unlink missing", r, errno, ENOENT);
    r = syscall(SYS_unlinkat, dirfd, "d3", 0x1);
    check_errno("unlinkat bad flags", r, errno, EINVAL);
    r = syscall(SYS_unlinkat, dirfd, "d3", AT_REMOVEDIR);
    check("unlinkat relative to dirfd", r == 0 && absent(WORK "/d3"), "directory still present");
    r = syscall(SYS_rmdir, WORK "/d2");
    check("rmdir", r == 0 && absent(WORK "/d2"), "directory still present");
    r = syscall(SYS_rmdir, WORK "/d2");
    check_errno("rmdir missing", r, errno, ENOENT);
    sys_close(dirfd);
}
