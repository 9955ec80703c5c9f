#include "store/file_batch.hpp"

#include "store/atomic_file.hpp"
#include "store/fault_injection.hpp"
#include "util/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>

namespace certsmith::store {

namespace {

std::string reason(int error) {
  return std::strerror(error);
}

// One spelling per directory, so that publish() matches "a/b", "a/./b" and "a/b/".
std::filesystem::path normal_dir(const std::filesystem::path& dir) {
  auto normal = dir.empty() ? std::filesystem::path(".") : dir.lexically_normal();
  if (!normal.has_filename() && normal.has_relative_path()) {
    normal = normal.parent_path();
  }
  return normal;
}

std::filesystem::path directory_of(const std::filesystem::path& path) {
  return normal_dir(path.parent_path());
}

void write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw StorageError(fmt::format("{}: cannot write ({})", path.string(), reason(errno)));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

int create_temp(const std::filesystem::path& path, mode_t mode, std::filesystem::path& temp) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    temp = temp_sibling(path, "tmp");
    int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600 & mode);
    if (fd >= 0) {
      return fd;
    }
    if (errno != EEXIST) {
      throw StorageError(fmt::format("{}: cannot create ({})", path.string(), reason(errno)));
    }
  }
  throw StorageError(fmt::format("{}: cannot create a temporary file", path.string()));
}

} // namespace

FileBatch::~FileBatch() {
  for (auto& file : m_files) {
    discard(file);
  }
}

void FileBatch::discard(Staged& file) noexcept {
  if (file.fd >= 0) {
    ::close(file.fd);
    file.fd = -1;
  }
  if (!file.published && !file.temp.empty()) {
    ::unlink(file.temp.c_str());
    file.temp.clear();
  }
}

void FileBatch::stage(const std::filesystem::path& path, std::string_view content, mode_t mode,
                      std::optional<gid_t> group) {
  Staged file;
  file.target = path;
  file.fd = create_temp(path, mode, file.temp);
  try {
    // The mode (and group) are final before any byte lands, so a key is never readable by others.
    if (group && ::fchown(file.fd, static_cast<uid_t>(-1), *group) != 0) {
      throw StorageError(
          fmt::format("{}: cannot set group {} ({})", path.string(), *group, reason(errno)));
    }
    if (::fchmod(file.fd, mode) != 0) {
      throw StorageError(fmt::format("{}: cannot set mode ({})", path.string(), reason(errno)));
    }
    write_all(file.fd, content, path);
#ifdef SYNC_FILE_RANGE_WRITE
    // Start the write-out now so that sync() waits on I/O already in flight for every
    // file; an error here resurfaces from fsync, which is the check that counts.
    ::sync_file_range(file.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  } catch (...) {
    discard(file);
    throw;
  }
  m_files.push_back(std::move(file));
}

void FileBatch::sync() {
  std::vector<Staged*> unsynced;
  for (auto& file : m_files) {
    if (file.fd >= 0) {
      unsynced.push_back(&file);
    }
  }
  // fsyncs in a row each wait for their own journal commit or cache flush (3-12 ms
  // on a busy disk); issued together, they share one.
  std::vector<int> errors(unsynced.size(), 0);
  auto sync_one = [&](std::size_t i) { errors[i] = ::fsync(unsynced[i]->fd) == 0 ? 0 : errno; };
  {
    std::vector<std::jthread> helpers;
    for (std::size_t i = 1; i < unsynced.size(); ++i) {
      try {
        helpers.emplace_back(sync_one, i);
      } catch (const std::system_error&) {
        sync_one(i); // no thread to spare: in a row, then
      }
    }
    if (!unsynced.empty()) {
      sync_one(0);
    }
  }
  std::string failure;
  for (std::size_t i = 0; i < unsynced.size(); ++i) {
    Staged& file = *unsynced[i];
    int fd = std::exchange(file.fd, -1);
    // close() can report a delayed write error (NFS), so it is checked.
    int close_error = ::close(fd) == 0 ? 0 : errno;
    if (failure.empty() && errors[i] != 0) {
      failure = fmt::format("{}: cannot sync ({})", file.target.string(), reason(errors[i]));
    } else if (failure.empty() && close_error != 0) {
      failure = fmt::format("{}: cannot close ({})", file.target.string(), reason(close_error));
    }
  }
  if (!failure.empty()) {
    // After a failed fsync the kernel may have dropped the dirty pages: no staged
    // file can be trusted, so none may be published by a later call.
    for (auto& file : m_files) {
      discard(file);
    }
    throw StorageError(failure);
  }
}

void FileBatch::publish(const std::vector<std::filesystem::path>& dirs) {
  std::vector<std::filesystem::path> wanted;
  for (const auto& dir : dirs) {
    wanted.push_back(normal_dir(dir));
  }
  auto selected = [&](const Staged& file) {
    return !file.published && !file.temp.empty() &&
           std::find(wanted.begin(), wanted.end(), directory_of(file.target)) != wanted.end();
  };
  sync();
  testing::fault_point("batch:before-rename");
  for (auto& file : m_files) {
    if (!selected(file)) {
      continue;
    }
    if (::rename(file.temp.c_str(), file.target.c_str()) != 0) {
      throw StorageError(
          fmt::format("{}: cannot replace ({})", file.target.string(), reason(errno)));
    }
    file.published = true;
  }
  for (const auto& dir : wanted) {
    fsync_dir(dir);
  }
}

void FileBatch::publish() {
  std::vector<std::filesystem::path> dirs;
  for (const auto& file : m_files) {
    auto dir = directory_of(file.target);
    if (!file.published && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
      dirs.push_back(dir);
    }
  }
  publish(dirs);
}

void write_files_atomic(const std::vector<FileToWrite>& files) {
  FileBatch batch;
  for (const auto& file : files) {
    batch.stage(file.path, file.content, file.mode, file.group);
  }
  batch.publish();
}

} // namespace certsmith::store
