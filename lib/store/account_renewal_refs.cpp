#include "store/account_renewal_refs.hpp"

#include "store/atomic_file.hpp"
#include "store/config_obj.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <optional>
#include <sys/stat.h>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_conf_size = 1024 * 1024;

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

// scheme://authority in lower case (host names are case-insensitive, RFC
// 3986 §6.2.2.1), then the path as written without its trailing slashes.
std::string normalised_server_url(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  const std::size_t path_start =
      scheme_end == std::string_view::npos ? 0 : url.find('/', scheme_end + 3);
  std::string_view origin = url.substr(0, std::min(path_start, url.size()));
  std::string_view path = path_start == std::string_view::npos ? "" : url.substr(path_start);
  while (path.ends_with('/'))
    path.remove_suffix(1);
  return lower(origin) + std::string(path);
}

// What one conf means for the account: not ours, ours and rewritable, or ours
// (or possibly ours) but stuck, with the parsed conf kept for the rewrite.
struct ConfRef {
  bool names_account = false;
  std::string stuck_reason; // non-empty: cannot be rewritten
  ConfigObj conf;
  mode_t mode = 0;
};

ConfRef inspect_conf(const std::filesystem::path& path, const std::string& name,
                     const std::string& server_url, const std::string& id) {
  ConfRef ref;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0)
    return ref; // gone since it was listed
  ref.mode = st.st_mode & 07777;
  std::string text;
  try {
    text = read_file(path, k_max_conf_size);
  } catch (const StorageError& error) {
    // Unreadable: it may name the account, so it counts against removing it.
    ref.names_account = true;
    ref.stuck_reason = error.what();
    return ref;
  }
  try {
    ref.conf = ConfigObj::parse(text, "renewal/" + name + ".conf");
  } catch (const StorageError& error) {
    // Unparsable: the id in its text is the best we can know.
    ref.names_account = text.find(id) != std::string::npos;
    ref.stuck_reason = error.what();
    return ref;
  }
  Section* params = ref.conf.root().section("renewalparams");
  if (params == nullptr || params->get("account") != id)
    return ref;
  auto server = params->get("server");
  if (server && !same_server_url(*server, server_url))
    return ref;
  ref.names_account = true;
  // Replacing a symlink would turn it into a file and leave its target stale.
  if (!S_ISREG(st.st_mode))
    ref.stuck_reason = "not a regular file";
  return ref;
}

RenewalRefs walk_renewal_refs(const TreePaths& paths, const std::string& server_url,
                              const std::string& old_id, const std::string* new_id) {
  RenewalRefs refs;
  for (const std::string& name : Lineage::list_names(paths)) {
    const std::filesystem::path path = paths.renewal_conf(name);
    ConfRef ref = inspect_conf(path, name, server_url, old_id);
    if (!ref.names_account)
      continue;
    if (!ref.stuck_reason.empty()) {
      refs.stuck.push_back(fmt::format("{}: {}", path.string(), ref.stuck_reason));
      continue;
    }
    if (new_id != nullptr) {
      ref.conf.root().section("renewalparams")->set("account", *new_id);
      write_file_atomic(path, ref.conf.to_string(), ref.mode);
    }
    refs.lineages.push_back(name);
  }
  return refs;
}

} // namespace

bool same_server_url(std::string_view a, std::string_view b) {
  return normalised_server_url(a) == normalised_server_url(b);
}

RenewalRefs find_renewal_refs(const TreePaths& paths, const std::string& server_url,
                              const std::string& id) {
  return walk_renewal_refs(paths, server_url, id, nullptr);
}

RenewalRefs repoint_renewal_confs(const TreePaths& paths, const std::string& server_url,
                                  const std::string& old_id, const std::string& new_id) {
  RenewalRefs refs = walk_renewal_refs(paths, server_url, old_id, &new_id);
  for (const auto& stuck : refs.stuck)
    util::log_warning("{}: not updated to account {}", stuck, new_id);
  return refs;
}

} // namespace certsmith::store
