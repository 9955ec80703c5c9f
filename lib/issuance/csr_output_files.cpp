#include "issuance/csr_output_files.hpp"

#include "crypto/certificate.hpp"
#include "store/atomic_file.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace certsmith::issuance {

namespace {

namespace fs = std::filesystem;

// What link(2) answers on a file system that has no hard links at all.
bool means_no_hard_links(int error) {
  return error == EPERM || error == ENOTSUP || error == EOPNOTSUPP || error == EXDEV;
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return false;
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

// O_EXCL keeps the no-overwrite rule; O_NOFOLLOW refuses a symlink planted at
// the name. The file is ours once open() succeeds, so a failure removes it.
void create_by_exclusive_open(const fs::path& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0)
    throw StorageError(fmt::format("{}: cannot create ({})", path.string(), std::strerror(errno)));
  (void)::fchmod(fd, mode); // the umask narrowed it; vfat cannot store it at all, which is fine
  bool complete = write_all(fd, content) && ::fsync(fd) == 0;
  int saved_errno = errno;
  complete = ::close(fd) == 0 && complete;
  if (!complete) {
    ::unlink(path.c_str());
    throw StorageError(
        fmt::format("{}: cannot write ({})", path.string(), std::strerror(saved_errno)));
  }
}

// The full chain holds everything needed to make the three files again.
std::string keep_certificate(const IssuedCertificate& issued, const fs::path& rescue_dir) {
  std::string serial = crypto::read_certificate(issued.cert_pem).serial_hex;
  for (int attempt = 0; attempt < 10; ++attempt) {
    fs::path kept =
        rescue_dir / (attempt == 0 ? fmt::format("csr-fullchain-{}.pem", serial)
                                   : fmt::format("csr-fullchain-{}-{}.pem", serial, attempt));
    try {
      create_new_file(kept, issued.fullchain_pem, 0644);
    } catch (const Error&) {
      std::error_code ignored;
      if (fs::exists(fs::symlink_status(kept, ignored)))
        continue; // a name clash: try the next name
      break;
    }
    try {
      store::fsync_dir(rescue_dir);
    } catch (const Error&) { // it is there; durable or not, say where
    }
    return fmt::format("the certificate the CA issued is kept in {}", kept.string());
  }
  util::log_message(util::LogLevel::error,
                    "The certificate the CA issued (full chain):\n" + issued.fullchain_pem);
  return "the certificate the CA issued is printed above";
}

} // namespace

void create_new_file(const fs::path& path, std::string_view content, mode_t mode,
                     LinkCall link_call) {
  fs::path temp = store::temp_sibling(path, "new");
  int link_errno = 0;
  try {
    store::write_file_atomic(temp, content, mode);
    link_errno = (link_call ? link_call : ::link)(temp.c_str(), path.c_str()) == 0 ? 0 : errno;
  } catch (const StorageError&) {
    link_errno = ENOTSUP; // a temp file beside it cannot be made: try the name itself
  }
  std::error_code ignored;
  fs::remove(temp, ignored);
  if (link_errno == 0)
    return;
  if (!means_no_hard_links(link_errno))
    throw StorageError(
        fmt::format("{}: cannot create ({})", path.string(), std::strerror(link_errno)));
  create_by_exclusive_open(path, content, mode);
}

void publish_csr_outputs(const CsrOutputPaths& paths, const IssuedCertificate& issued,
                         const fs::path& rescue_dir, LinkCall link_call) {
  const std::pair<const fs::path*, const std::string*> files[] = {
      {&paths.cert, &issued.cert_pem},
      {&paths.chain, &issued.chain_pem},
      {&paths.fullchain, &issued.fullchain_pem}};
  std::vector<fs::path> created;
  try {
    for (const auto& [path, content] : files) {
      create_new_file(*path, *content, 0644, link_call);
      created.push_back(*path);
    }
  } catch (const Error& error) {
    std::error_code ignored;
    for (const auto& path : created)
      fs::remove(path, ignored);
    throw StorageError(fmt::format("{}; {}", error.what(), keep_certificate(issued, rescue_dir)));
  }
  // The files are complete and in place: a directory that cannot be flushed
  // (some network file systems) is no reason to take them away again.
  std::set<fs::path> directories;
  for (const auto& [path, content] : files)
    directories.insert(path->parent_path());
  for (const auto& directory : directories) {
    try {
      store::fsync_dir(directory);
    } catch (const Error& error) {
      util::log_warning("{}", error.what());
    }
  }
}

} // namespace certsmith::issuance
