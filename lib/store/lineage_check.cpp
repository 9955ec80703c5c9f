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
  const std::array<std::filesystem::path, 4> links = {
      lineage.cert_path(), lineage.privkey_path(), lineage.chain_path(), lineage.fullchain_path()};
  std::array<LinkState, 4> states;
  for (std::size_t kind = 0; kind < links.size(); ++kind)
    states[kind] = examine_link(links[kind], kind);
  return states;
}

const std::filesystem::path& link_path(const Lineage& lineage, std::size_t kind) {
  switch (kind) {
  case 0:
    return lineage.cert_path();
  case 1:
    return lineage.privkey_path();
  case 2:
    return lineage.chain_path();
  default:
    return lineage.fullchain_path();
  }
}

// The first problem of the links themselves, "" when all four are symlinks to
// files of one version in `archive`.
std::string link_problem(const Lineage& lineage, const std::array<LinkState, 4>& states,
                         const std::filesystem::path& archive) {
  for (std::size_t kind = 0; kind < states.size(); ++kind) {
    const LinkState& state = states[kind];
    const auto link = shown(link_path(lineage, kind));
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
    if (!regular_file_at(state.resolved))
      return fmt::format("{}: points to {}, which {}", link, shown(state.target),
                         present(state.resolved) ? "is not a regular file" : "does not exist");
  }
  for (std::size_t kind = 1; kind < states.size(); ++kind) {
    if (states[kind].version != states[0].version) {
      std::string versions;
      for (std::size_t each = 0; each < states.size(); ++each)
        versions += fmt::format("{}{} -> {}", each == 0 ? "" : ", ",
                                shown(link_path(lineage, each).filename()),
                                shown(states[each].target.filename()));
      return fmt::format("{}: the live links point at different versions ({})",
                         shown(lineage.live_dir()), versions);
    }
  }
  return "";
}

bool version_complete(const std::filesystem::path& archive, int version) {
  for (std::size_t kind = 0; kind < k_lineage_kinds.size(); ++kind)
    if (!regular_file_at(archive_file(archive, kind, version)))
      return false;
  return true;
}

std::vector<std::string> pem_blocks(const std::string& pem) {
  return crypto::split_pem_chain(pem);
}

} // namespace

std::string check_archive_version(const std::filesystem::path& archive_dir, int version) {
  std::array<std::filesystem::path, 4> files;
  std::array<std::string, 4> contents; // cert, privkey, chain, fullchain
  for (std::size_t kind = 0; kind < files.size(); ++kind) {
    files[kind] = archive_file(archive_dir, kind, version);
    if (!regular_file_at(files[kind]))
      return fmt::format("{}: {}", shown(files[kind]),
                         present(files[kind]) ? "not a regular file" : "missing");
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

LineageCheck check_lineage(const Lineage& lineage) {
  LineageCheck check;
  const auto archive = normal_absolute(lineage.archive_dir());
  const auto states = examine_links(lineage);
  check.problem = link_problem(lineage, states, archive);
  if (!check.problem.empty()) {
    check.links_broken = true;
    std::string why;
    check.repair_version = choose_repair_version(lineage, why);
    return check;
  }
  check.problem = check_archive_version(archive, *states[0].version);
  return check;
}

std::optional<int> choose_repair_version(const Lineage& lineage, std::string& why) {
  const auto archive = normal_absolute(lineage.archive_dir());
  const auto states = examine_links(lineage);
  for (std::size_t kind = 0; kind < states.size(); ++kind) {
    if (states[kind].entry == LinkState::Entry::not_symlink) {
      why = fmt::format("{}: not a symlink; certsmith does not replace it (move it away, then run "
                        "update_symlinks again)",
                        shown(link_path(lineage, kind)));
      return std::nullopt;
    }
  }
  const bool one_version = std::all_of(states.begin(), states.end(), [&](const LinkState& state) {
    return state.entry == LinkState::Entry::symlink && state.version &&
           state.version == states[0].version;
  });
  if (one_version && version_complete(archive, *states[0].version)) {
    why = check_archive_version(archive, *states[0].version);
    return why.empty() ? states[0].version : std::nullopt;
  }
  std::set<int> versions;
  try {
    versions = archive_versions(archive)[k_lineage_kinds[0]];
  } catch (const Error& error) {
    why = error.what();
    return std::nullopt;
  }
  for (auto it = versions.rbegin(); it != versions.rend(); ++it)
    if (check_archive_version(archive, *it).empty())
      return *it;
  why = fmt::format("{}: no version whose four files are present and consistent", shown(archive));
  return std::nullopt;
}

} // namespace certsmith::store
