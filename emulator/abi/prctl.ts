/** Linux prctl(2) options clonecloud serves, and the length of a task name. */

export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
/** TASK_COMM_LEN: names hold 15 bytes and a NUL. */
export const TASK_COMM_LEN = 16;
