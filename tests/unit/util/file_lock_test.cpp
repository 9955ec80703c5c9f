#include "util/file_lock.hpp"

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

struct TempFile {
  std::string path;
  TempFile() {
    char name[] = "/tmp/certsmith-file-lock-XXXXXX";
    int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

} // namespace

TEST_CASE("a second open of a locked file cannot lock it, even in the same process") {
  TempFile file;
  int first = ::open(file.path.c_str(), O_WRONLY | O_CLOEXEC);
  int second = ::open(file.path.c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(first >= 0);
  REQUIRE(second >= 0);

  CHECK(certsmith::util::try_write_lock(first) == 0);
  int refused = certsmith::util::try_write_lock(second);
  CHECK((refused == EAGAIN || refused == EACCES));

  ::close(first); // closing the holder's description releases the lock
  CHECK(certsmith::util::try_write_lock(second) == 0);
  ::close(second);
}

TEST_CASE("a file opened read-only cannot take a write lock") {
  TempFile file;
  int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(certsmith::util::try_write_lock(fd) == EBADF);
  ::close(fd);
}
