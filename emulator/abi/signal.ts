/** Linux ARM EABI signal numbers, sigaction dispositions, sigprocmask and sigaltstack constants. */

export const SIGHUP = 1;
export const SIGINT = 2;
export const SIGQUIT = 3;
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGABRT = 6;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGKILL = 9;
export const SIGUSR1 = 10;
export const SIGSEGV = 11;
export const SIGUSR2 = 12;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGTERM = 15;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGURG = 23;
export const SIGWINCH = 28;
/** Highest signal number (real-time signals included). */
export const NSIG = 64;
/** sizeof(sigset_t) the rt_sig* syscalls take. */
export const SIGSET_SIZE = 8;

/** sa_handler values that are not handlers. */
export const SIG_DFL = 0;
export const SIG_IGN = 1;

/** rt_sigprocmask's how. */
export const SIG_BLOCK = 0;
export const SIG_UNBLOCK = 1;
export const SIG_SETMASK = 2;

/** sigaltstack flags and its smallest stack. */
export const SS_ONSTACK = 1;
export const SS_DISABLE = 2;
export const SS_AUTODISARM = 1 << 31;
export const MINSIGSTKSZ = 2048;
