#include "store/account_renewal_refs.hpp"

#include "store/atomic_file.hpp"
#include "store/config_obj.hpp"
#include "store/lineage.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

#include <sys/stat.h>

namespace certsmith::store {

namespace {

constexpr std::size_t k_max_conf_size = 1024 * 1024;

} // namespace

std::vector<std::string> repoint_renewal_confs(const TreePaths& paths,
                                               const std::string& server_url,
                                               const std::string& old_id,
                                               const std::string& new_id) {
  std::vector<std::string> changed;
  for (const std::string& name : Lineage::list_names(paths)) {
    const std::filesystem::path path = paths.renewal_conf(name);
    // A conf that is not a regular file (a symlink) is left alone: replacing
    // it would turn the link into a file.
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      continue;
    if (!S_ISREG(st.st_mode)) {
      util::log_warning("{}: not a regular file, so not updated to account {}", path.string(),
                        new_id);
      continue;
    }
    ConfigObj conf;
    try {
      conf = ConfigObj::parse(read_file(path, k_max_conf_size), "renewal/" + name + ".conf");
    } catch (const StorageError& error) {
      util::log_warning("{}: not updated to the new account id ({})", path.string(), error.what());
      continue;
    }
    Section* params = conf.root().section("renewalparams");
    if (params == nullptr || params->get("account") != old_id)
      continue;
    auto server = params->get("server");
    if (server && *server != server_url)
      continue;
    params->set("account", new_id);
    write_file_atomic(path, conf.to_string(), st.st_mode & 07777);
    changed.push_back(name);
  }
  return changed;
}

} // namespace certsmith::store
