/** poll(2) event bits (asm-generic/poll.h) and the ioctl/fcntl requests pipes answer. */
export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLRDBAND = 0x80;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;

/** ioctl: bytes ready to read. */
export const FIONREAD = 0x541b;
/** fcntl: set and get a pipe's capacity. */
export const F_SETPIPE_SZ = 1031;
export const F_GETPIPE_SZ = 1032;
