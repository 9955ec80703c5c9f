#include "util/file_lock.hpp"

#include <cerrno>
#include <fcntl.h>

namespace certsmith::util {

int try_write_lock(int fd) {
  struct flock request {};
  request.l_type = F_WRLCK;
  request.l_whence = SEEK_SET;
  request.l_start = 0;
  request.l_len = 0; // the whole file
#ifdef F_OFD_SETLK
  if (::fcntl(fd, F_OFD_SETLK, &request) == 0) {
    return 0;
  }
  if (errno != EINVAL) {
    return errno;
  }
#endif
  return ::fcntl(fd, F_SETLK, &request) == 0 ? 0 : errno;
}

} // namespace certsmith::util
