/*
 * syscalls: a conformance check of the Linux ARM EABI system calls that
 * ordinary static programs rely on.
 *
 * Usage: syscalls
 *   Run from a writable current directory. Everything is created under
 *   ./work/, which is removed again at the end (and at the start, if an
 *   earlier run was interrupted), so runs leave nothing behind.
 *
 * Most calls are made with syscall(SYS_xxx, ...) so that the exact kernel
 * interface is exercised rather than whatever glibc maps a function onto.
 * Each check prints "name: ok" or "name: FAIL (detail)" ("name: handled"
 * where several answers are correct, e.g. rseq); the last line is
 * "summary: N checks, M failed" and the exit status is M (at most 255).
 *
 * The output only ever states properties (never times, ids, addresses or
 * other host-dependent values), so a correct kernel or emulator produces
 * the same bytes on every run.
 */
#define _GNU_SOURCE

#include "kabi.h"
#include "check.h"
#include "fixtures.h"
#include "topics.h"

/*
 * The checks live in one file per topic (identity.c, process.c, memory.c,
 * time.c, files.c, dirs.c), the reporting in check.c and the helpers they
 * share in fixtures.c.
 */

int main(void)
{
    /* All output goes to stdout, so buffering cannot reorder it. */
    if (remove_tree(WORK) != 0 || sys_mkdirat(WORK, 0755) != 0) {
        printf("setup: FAIL (cannot create %s/: %s)\n", WORK, errno_name(errno));
        printf("summary: 1 checks, 1 failed\n");
        fflush(stdout);
        syscall(SYS_exit_group, 1);
    }

    test_identity();
    test_system();
    test_process();
    test_brk();
    test_anon_memory();
    test_time();
    test_files();
    test_files_more();
    test_file_mapping();
    test_dirs();
    test_dirs_more();

    int removed = remove_tree(WORK) == 0;
    long left = sys_faccessat(WORK, F_OK);
    check("cleanup", removed && left == -1 && errno == ENOENT, "%s/ still present", WORK);

    printf("summary: %d checks, %d failed\n", checks, failed);
    fflush(stdout);
    /* Leave through the raw call so exit_group itself is exercised. */
    syscall(SYS_exit_group, failed > 255 ? 255 : failed);
    return 127; /* not reached */
}
