/*
 * Reporting for the syscalls checks (see check.h).
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"

/* ---- reporting ---- */

int checks, failed;

const char *errno_name(int e)
{
    switch (e) {
    case 0: return "no error";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case ERANGE: return "ERANGE";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "unknown errno";
    }
}

/* Record one check. The detail is only printed on failure. */
void check(const char *name, int ok, const char *fmt, ...)
{
    checks++;
    if (ok) {
        printf("%s: ok\n", name);
        return;
    }
    failed++;
    printf("%s: FAIL (", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf(")\n");
}

/*
 * For calls where more than one answer is correct (success, or a refusal
 * an emulator may legitimately give): prints "name: handled".
 */
void handled(const char *name, int ok, int saved_errno)
{
    checks++;
    if (ok) {
        printf("%s: handled\n", name);
    } else {
        failed++;
        printf("%s: FAIL (%s)\n", name, errno_name(saved_errno));
    }
}

/* Check that a call failed with exactly the errno Linux gives. */
void check_errno(const char *name, long ret, int saved_errno, int want)
{
    if (ret != -1)
        check(name, 0, "succeeded, expected %s", errno_name(want));
    else
        check(name, saved_errno == want, "got %s, expected %s", errno_name(saved_errno),
              errno_name(want));
}
