#include "issuance/serve_authenticator.hpp"

#include "challenge/serve_solver.hpp"
#include "challenge/token_dir.hpp"

namespace certsmith::issuance {

std::filesystem::path serve_token_dir_for(const store::RenewalParams& params,
                                          const store::TreePaths& paths) {
  if (!params.serve_token_dir.empty())
    return params.serve_token_dir;
  return challenge::default_token_dir(paths.work_dir);
}

std::unique_ptr<challenge::Solver> make_serve_solver(const store::RenewalParams& params,
                                                     const store::TreePaths& paths) {
  return std::make_unique<challenge::Http01ServeSolver>(
      challenge::TokenDir(serve_token_dir_for(params, paths)));
}

} // namespace certsmith::issuance
