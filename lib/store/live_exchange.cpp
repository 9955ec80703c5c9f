#include "store/live_exchange.hpp"

#include "util/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

namespace certsmith::store {

ExchangeResult exchange_directories(const std::filesystem::path& fresh,
                                    const std::filesystem::path& current) {
  // Through syscall() so that older glibc without the renameat2 wrapper works too.
  long rc =
      ::syscall(SYS_renameat2, AT_FDCWD, fresh.c_str(), AT_FDCWD, current.c_str(), RENAME_EXCHANGE);
  if (rc == 0) {
    return ExchangeResult::exchanged;
  }
  int error = errno;
  if (error == ENOENT && ::access(fresh.c_str(), F_OK) == 0) {
    if (::rename(fresh.c_str(), current.c_str()) != 0) {
      throw StorageError(
          fmt::format("{}: cannot create ({})", current.string(), std::strerror(errno)));
    }
    return ExchangeResult::renamed;
  }
  if (error == EINVAL || error == ENOSYS || error == EOPNOTSUPP) {
    return ExchangeResult::unsupported;
  }
  throw StorageError(fmt::format("{}: cannot switch to the new version ({})", current.string(),
                                 std::strerror(error)));
}

} // namespace certsmith::store
