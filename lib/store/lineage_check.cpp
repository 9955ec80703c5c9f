#include "store/lineage_check.hpp"

#include "crypto/certificate.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage_versions.hpp"
#include "store/live_set.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>
#include <system_error>
#include <vector>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_pem_bytes = 1 << 20;

std::string shown(const std::filesystem::path& path) {
  return util::escape_untrusted(path.string(), 512);
}

// One live link as found on disk, judged without following it.
struct LinkState {
  enum class Entry { missing, not_symlink, symlink };
  Entry entry = Entry::missing;
  std::filesystem::path target;   // as readlink gives it
  std::filesystem::path resolved; // target taken relative to the link's directory, normalized
  std::optional<int> version;     // N when the target's file name is KIND<N>.pem of the link's kind
};

LinkState examine_link(const std::filesystem::path& link, std::size_t kind) {
  LinkState state;
  struct stat st {};
  if (::lstat(link.c_str(), &st) != 0)
    return state;
  if (!S_ISLNK(st.st_mode)) {
    state.entry = LinkState::Entry::not_symlink;
    return state;
  }
  state.entry = LinkState::Entry::symlink;
  std::error_code error;
  state.target = std::filesystem::read_symlink(link, error);
  state.resolved = normal_absolute(normal_absolute(link).parent_path() / state.target);
  auto parsed = parse_archive_name(state.target.filename().string());
  if (parsed && parsed->first == k_lineage_kinds[kind])
    state.version = parsed->second;
  return state;
}

std::array<LinkState, 4> examine_links(const Lineage& lineage) {
  std::array<LinkState, 4> states;
  for (std::size_t kind = 0; kind < states.size(); ++kind)
    states[kind] = examine_link(lineage.links()[kind], kind);
  return states;
}

// What is at an archive file's place. certbot follows a symlink there (its
// checks use os.path.exists); certsmith does too, but only to a regular file
// inside the tree's archive/, never out of the tree.
enum class ArchiveEntry { regular, missing, not_regular, leads_out };

ArchiveEntry examine_archive_file(const TreePaths& paths, const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0)
    return ArchiveEntry::missing;
  if (S_ISREG(st.st_mode))
    return ArchiveEntry::regular;
  if (!S_ISLNK(st.st_mode))
    return ArchiveEntry::not_regular;
  std::error_code error;
  const auto real = std::filesystem::canonical(file, error);
  if (error)
    return ArchiveEntry::missing; // dangling, or a loop
  const auto root = std::filesystem::canonical(paths.archive_dir(), error);
  const auto inside = error ? std::filesystem::path() : real.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..")
    return ArchiveEntry::leads_out;
  return ::stat(real.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? ArchiveEntry::regular
                                                               : ArchiveEntry::not_regular;
}

// "" for a usable archive file, else why not ("missing", "not a regular file ...").
std::string archive_file_problem(const TreePaths& paths, const std::filesystem::path& file) {
  switch (examine_archive_file(paths, file)) {
  case ArchiveEntry::regular:
    return "";
  case ArchiveEntry::missing:
    return "missing";
  case ArchiveEntry::not_regular:
    return "not a regular file";
  case ArchiveEntry::leads_out:
    return fmt::format("not a regular file inside {}", shown(paths.archive_dir()));
  }
  return "missing";
}

// The first problem of the links themselves, "" when all four are symlinks to
// archive files of one version in `archive`.
std::string link_problem(const TreePaths& paths, const Lineage& lineage,
                         const std::array<LinkState, 4>& states,
                         const std::filesystem::path& archive) {
  for (std::size_t kind = 0; kind < states.size(); ++kind) {
    const LinkState& state = states[kind];
    const auto link = shown(lineage.links()[kind]);
    switch (state.entry) {
    case LinkState::Entry::missing:
      return fmt::format("{}: missing", link);
    case LinkState::Entry::not_symlink:
      return fmt::format("{}: not a symlink", link);
    case LinkState::Entry::symlink:
      break;
    }
    if (!state.version)
      return fmt::format("{}: points to {}, not a {}N.pem file", link, shown(state.target),
                         k_lineage_kinds[kind]);
    if (state.resolved.parent_path() != archive)
      return fmt::format("{}: points to {}, outside the archive dir {}", link, shown(state.target),
                         shown(archive));
    const auto problem = archive_file_problem(paths, state.resolved);
    if (!problem.empty())
      return fmt::format("{}: points to {}, which {}", link, shown(state.target),
                         problem == "missing" ? "does not exist" : "is " + problem);
  }
  for (std::size_t kind = 1; kind < states.size(); ++kind) {
    if (states[kind].version != states[0].version) {
      std::string versions;
      for (std::size_t each = 0; each < states.size(); ++each)
        versions += fmt::format("{}{} -> {}", each == 0 ? "" : ", ",
                                shown(lineage.links()[each].filename()),
                                shown(states[each].target.filename()));
      return fmt::format("{}: the live links point at different versions ({})",
                         shown(lineage.live_dir()), versions);
    }
  }
  return "";
}

bool version_complete(const TreePaths& paths, const std::filesystem::path& archive, int version) {
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind)
    if (!archive_file_problem(paths, archive_file(archive, kind, version)).empty())
      return false;
  return true;
}

// The newest version a link into `archive` names, whether its file is there or not.
std::optional<int> newest_named_version(const std::array<LinkState, 4>& states,
                                        const std::filesystem::path& archive) {
  std::optional<int> newest;
  for (const auto& state : states)
    if (state.entry == LinkState::Entry::symlink && state.version &&
        state.resolved.parent_path() == archive && (!newest || *state.version > *newest))
      newest = state.version;
  return newest;
}

// Why version `named`, the newest the links name, cannot be used: preferably a
// file a link names itself, else the first problem of the version.
std::string named_version_problem(const TreePaths& paths, const std::array<LinkState, 4>& states,
                                  const std::filesystem::path& archive, int named) {
  std::string problem;
  for (std::size_t kind = 0; kind < states.size() && problem.empty(); ++kind) {
    if (states[kind].version != named || states[kind].resolved.parent_path() != archive)
      continue;
    const auto file = archive_file(archive, kind, named);
    const auto why = archive_file_problem(paths, file);
    if (!why.empty())
      problem = fmt::format("{}: {}", shown(file), why);
  }
  if (problem.empty())
    problem = check_archive_version(paths, archive, named);
  return fmt::format("{} (the live links name version {}; certsmith never points them back at an "
                     "older version, whose key may be revoked)",
                     problem, named);
}

std::vector<std::string> pem_blocks(const std::string& pem) {
  return crypto::split_pem_chain(pem);
}

} // namespace

std::string check_archive_version(const TreePaths& paths, const std::filesystem::path& archive_dir,
                                  int version) {
  std::array<std::filesystem::path, 4> files;
  std::array<std::string, 4> contents; // cert, privkey, chain, fullchain
  for (std::size_t kind = 0; kind < files.size(); ++kind) {
    files[kind] = archive_file(archive_dir, kind, version);
    const auto problem = archive_file_problem(paths, files[kind]);
    if (!problem.empty())
      return fmt::format("{}: {}", shown(files[kind]), problem);
    try {
      contents[kind] = read_file(files[kind], k_max_pem_bytes);
    } catch (const Error& error) {
      return error.what();
    }
  }
  const auto& [cert, privkey, chain, fullchain] = contents;
  try {
    crypto::read_certificate(cert);
  } catch (const Error& error) {
    return fmt::format("{}: not a certificate ({})", shown(files[0]), error.what());
  }
  try {
    if (!crypto::certificate_matches_key(cert, privkey))
      return fmt::format("{}: does not match {}", shown(files[1]), shown(files[0].filename()));
  } catch (const Error& error) {
    return fmt::format("{}: not a private key ({})", shown(files[1]), error.what());
  }
  try {
    auto expected = pem_blocks(cert);
    auto chain_blocks = pem_blocks(chain);
    expected.insert(expected.end(), chain_blocks.begin(), chain_blocks.end());
    if (pem_blocks(fullchain) != expected)
      return fmt::format("{}: not {} followed by {}", shown(files[3]), shown(files[0].filename()),
                         shown(files[2].filename()));
    if (!crypto::is_chain_for_leaf(fullchain, cert))
      return fmt::format("{}: not issued by the first certificate of {}", shown(files[0]),
                         shown(files[2].filename()));
  } catch (const Error& error) {
    return fmt::format("{}: {}", shown(files[3]), error.what());
  }
  return "";
}

LineageCheck check_lineage(const TreePaths& paths, const Lineage& lineage) {
  LineageCheck check;
  const auto archive = normal_absolute(lineage.archive_dir());
  const auto states = examine_links(lineage);
  check.problem = link_problem(paths, lineage, states, archive);
  if (!check.problem.empty()) {
    check.live_links_problem = true;
    std::string why;
    check.repair_version = choose_repair_version(paths, lineage, why);
    return check;
  }
  check.problem = check_archive_version(paths, archive, *states[0].version);
  return check;
}

std::string repair_placement_problem(const TreePaths& paths, const Lineage& lineage) {
  for (const auto& link : lineage.links())
    if (!link.is_absolute())
      return fmt::format("{}: not an absolute path; certsmith only repairs links a renewal conf "
                         "names by absolute path",
                         shown(link));
  const auto live = normal_absolute(lineage.live_dir());
  if (live.parent_path() != normal_absolute(paths.live_dir()))
    return fmt::format("live directory {} is outside {}; certsmith only repairs a live directory "
                       "directly inside it",
                       shown(live), shown(paths.live_dir()));
  for (const auto& link : lineage.links()) {
    const auto normal = normal_absolute(link);
    if (normal.parent_path() != live || !normal.has_filename())
      return fmt::format("{}: the live links are not in one directory", shown(link));
  }
  struct stat st {};
  if (::lstat(live.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    return fmt::format("{}: not a directory", shown(live));
  const auto archive = normal_absolute(lineage.archive_dir());
  if (archive.parent_path() != normal_absolute(paths.archive_dir()))
    return fmt::format(
        "archive_dir {} is outside {}; certsmith only links to an archive directly inside it",
        shown(lineage.archive_dir()), shown(paths.archive_dir()));
  if (::lstat(archive.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fmt::format("{}: not a directory", shown(archive));
  return "";
}

std::optional<int> choose_repair_version(const TreePaths& paths, const Lineage& lineage,
                                         std::string& why) {
  why = repair_placement_problem(paths, lineage);
  if (!why.empty())
    return std::nullopt;
  const auto archive = normal_absolute(lineage.archive_dir());
  const auto states = examine_links(lineage);
  for (std::size_t kind = 0; kind < states.size(); ++kind) {
    if (states[kind].entry == LinkState::Entry::not_symlink) {
      why = fmt::format("{}: not a symlink; certsmith does not replace it (move it away, then run "
                        "update_symlinks again)",
                        shown(lineage.links()[kind]));
      return std::nullopt;
    }
  }
  const bool one_version = std::all_of(states.begin(), states.end(), [&](const LinkState& state) {
    return state.entry == LinkState::Entry::symlink && state.version &&
           state.version == states[0].version;
  });
  if (one_version && version_complete(paths, archive, *states[0].version)) {
    why = check_archive_version(paths, archive, *states[0].version);
    return why.empty() ? states[0].version : std::nullopt;
  }
  // Forward is fine (a crash between writing a version and switching to it);
  // back is not.
  const auto floor = newest_named_version(states, archive);
  std::set<int> versions;
  try {
    versions = archive_versions(archive)[k_lineage_kinds[0]];
  } catch (const Error& error) {
    why = error.what();
    return std::nullopt;
  }
  for (auto it = versions.rbegin(); it != versions.rend() && (!floor || *it >= *floor); ++it)
    if (check_archive_version(paths, archive, *it).empty())
      return *it;
  why = floor ? named_version_problem(paths, states, archive, *floor)
              : fmt::format("{}: no version whose four files are present and consistent",
                            shown(archive));
  return std::nullopt;
}

} // namespace certsmith::store
