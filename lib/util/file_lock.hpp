#pragma once

namespace certsmith::util {

// Tries to take an exclusive write lock on the whole open file `fd` without
// waiting, the way Python's fcntl.lockf(fd, LOCK_EX | LOCK_NB) does, so that
// certbot and certsmith exclude each other. Open-file-description locks are
// used where the kernel has them (a second lock in the same process conflicts
// too); before Linux 3.15 it falls back to per-process locks.
// Returns 0 when locked, else the errno (EAGAIN or EACCES: another holder).
int try_write_lock(int fd);

} // namespace certsmith::util
