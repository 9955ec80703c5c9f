#pragma once
// `--authenticator serve`: http-01 answered by a separately running
// `certsmith serve`, through the token directory both use.

#include "challenge/solver.hpp"
#include "store/renewal_conf.hpp"
#include "store/tree_paths.hpp"

#include <filesystem>
#include <memory>

namespace certsmith::issuance {

/// The conf's serve_token_dir, else WORK_DIR/http-01-tokens of this tree.
std::filesystem::path serve_token_dir_for(const store::RenewalParams& params,
                                          const store::TreePaths& paths);

/// The solver writing key authorizations where `certsmith serve` reads them.
std::unique_ptr<challenge::Solver> make_serve_solver(const store::RenewalParams& params,
                                                     const store::TreePaths& paths);

} // namespace certsmith::issuance
