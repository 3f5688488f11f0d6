/*
 * Reporting: every check prints one line and is counted; main prints the
 * summary from the counters.
 */
#ifndef SYSCALLS_CHECK_H
#define SYSCALLS_CHECK_H

extern int checks, failed;

/* The symbolic name of errno value e ("EINVAL"), for details. */
const char *errno_name(int e);

/* Record one check. The detail is only printed on failure. */
void check(const char *name, int ok, const char *fmt, ...);

/* For calls where more than one answer is correct: prints "name: handled". */
void handled(const char *name, int ok, int saved_errno);

/* Check that a call failed with exactly the errno Linux gives. */
void check_errno(const char *name, long ret, int saved_errno, int want);

#endif
