#include "store/live_repair.hpp"

#include "store/atomic_file.hpp"
#include "store/file_batch.hpp"
#include "store/lineage.hpp"
#include "store/lineage_check.hpp"
#include "store/lineage_versions.hpp"
#include "store/live_exchange.hpp"
#include "store/live_set.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <array>
#include <cstdio>
#include <fmt/format.h>
#include <sys/stat.h>
#include <system_error>
#include <vector>

namespace certsmith::store {

namespace {

constexpr mode_t k_lineage_dir_mode = 0755;
constexpr mode_t k_public_mode = 0644;

std::string shown(const std::filesystem::path& path) {
  return util::escape_untrusted(path.string(), 512);
}

// The file names of the four links, all in `live` (repair_placement_problem checked that).
std::array<std::string, 4> link_names_of(const Lineage& lineage) {
  std::array<std::string, 4> names;
  for (std::size_t kind = 0; kind < names.size(); ++kind)
    names[kind] = normal_absolute(lineage.links()[kind]).filename().string();
  return names;
}

bool links_already_point_at(const std::filesystem::path& live, const std::filesystem::path& archive,
                            int version, const std::array<std::string, 4>& link_names) {
  for (std::size_t kind = 0; kind < link_names.size(); ++kind) {
    std::error_code error;
    auto target = std::filesystem::read_symlink(live / link_names[kind], error);
    if (error || target != archive_file(archive, kind, version).lexically_relative(live))
      return false;
  }
  return true;
}

// Build the new set beside `live` and switch to it in one step, as save_successor does.
void switch_live_set(const std::filesystem::path& live, const std::filesystem::path& archive,
                     int version, const std::array<std::string, 4>& link_names, bool live_exists,
                     mode_t mode) {
  const auto pending = pending_live_dir(live);
  std::error_code ignored;
  std::filesystem::remove_all(pending, ignored);
  try {
    build_live_set(pending, live, archive, version, link_names, mode);
    std::vector<std::string> moved_later;
    if (live_exists)
      moved_later = carry_extras(live, pending);
    FileBatch batch;
    if (!present(pending / "README"))
      batch.stage(pending / "README", live_readme(false), k_public_mode);
    batch.publish({pending}); // the new set's entries are durable before the switch
    if (exchange_directories(pending, live) == ExchangeResult::unsupported) {
      switch_links_one_by_one(pending, live, link_names);
      moved_later.clear();
      fsync_dir(live);
    } else {
      fsync_dir(live.parent_path());
    }
    bool moved = false;
    for (const auto& name : moved_later)
      moved = ::rename((pending / name).c_str(), (live / name).c_str()) == 0 || moved;
    if (moved)
      fsync_dir(live);
  } catch (const std::filesystem::filesystem_error& error) {
    std::filesystem::remove_all(pending, ignored);
    throw StorageError(error.what());
  } catch (...) {
    std::filesystem::remove_all(pending, ignored);
    throw;
  }
  std::filesystem::remove_all(pending, ignored);
}

} // namespace

LiveRepair repair_live_links(const TreePaths& paths, const std::string& name) {
  const Lineage lineage = Lineage::load_for_check(paths, name);
  // Also where the conf names the links and the archive: nothing else is touched.
  std::string why;
  const auto version = choose_repair_version(paths, lineage, why);
  if (!version)
    throw StorageError(why);
  const auto archive = normal_absolute(lineage.archive_dir());
  const auto live = normal_absolute(lineage.live_dir());
  const auto link_names = link_names_of(lineage);
  struct stat st {};
  const bool live_exists = ::lstat(live.c_str(), &st) == 0;
  if (!std::filesystem::is_directory(live.parent_path()))
    throw StorageError(fmt::format("{}: not a directory", shown(live.parent_path())));
  if (live_exists && links_already_point_at(live, archive, *version, link_names))
    return {false, *version};
  switch_live_set(live, archive, *version, link_names, live_exists,
                  live_exists ? (st.st_mode & 07777) : k_lineage_dir_mode);
  return {true, *version};
}

} // namespace certsmith::store
