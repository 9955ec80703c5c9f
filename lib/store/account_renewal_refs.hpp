#pragma once
// Renewal confs name the account that renews them (`account = <id>` in
// [renewalparams]); when an account's id changes (key rollover), they follow.

#include "store/tree_paths.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace certsmith::store {

/// The renewal confs that name one account of one server.
struct RenewalRefs {
  std::vector<std::string> lineages; // confs naming the account that can be rewritten
  // "<path>: <why>" for confs that name the account (or may: unreadable,
  // unparsable) but cannot be rewritten in place. While any is listed, the
  // account's directory must stay: those confs still renew with it.
  std::vector<std::string> stuck;
};

/// True when two ACME directory URLs name the same server as renewal confs
/// spell them: scheme and host compared without case, trailing '/' ignored.
bool same_server_url(std::string_view a, std::string_view b);

/// The renewal confs whose [renewalparams] name `id` and whose server is
/// `server_url` (same_server_url) or not given. Reads only.
RenewalRefs find_renewal_refs(const TreePaths& paths, const std::string& server_url,
                              const std::string& id);

/// Rewrite `account = old_id` to `account = new_id` in every conf
/// find_renewal_refs lists as rewritable, each file replaced atomically with
/// its mode kept and every other byte unchanged. Returns the lineages
/// rewritten and the confs left stuck (each also logged as a warning). Throws
/// StorageError when a conf that needs the change cannot be written.
RenewalRefs repoint_renewal_confs(const TreePaths& paths, const std::string& server_url,
                                  const std::string& old_id, const std::string& new_id);

} // namespace certsmith::store
