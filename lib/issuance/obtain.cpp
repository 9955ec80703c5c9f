#include "issuance/obtain.hpp"

#include "crypto/certificate.hpp"
#include "issuance/preferred_chain.hpp"
#include "issuance/profile_choice.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <fmt/format.h>
#include <map>

namespace certsmith::issuance {

namespace {

struct PendingChallenge {
  acme::Authorization authorization;
  acme::Challenge challenge;
  challenge::Solver* solver = nullptr;
  challenge::Task task;
};

// What a person can check for the common ways validation fails.
std::string hint_for(const std::string& problem_type, const std::string& challenge_type) {
  static const std::map<std::string, std::string> hints = {
      {"connection", "is the port open and the name pointing at this host?"},
      {"dns", "does the name resolve in public DNS?"},
      {"caa", "do the domain's CAA records allow this CA?"},
      {"unauthorized", challenge_type == "http-01"
                           ? "does the web server serve /.well-known/acme-challenge/ for it?"
                           : "did the CA see the expected value?"},
      {"tls", "does the host answer TLS correctly on the validation port?"},
  };
  auto it = hints.find(problem_type);
  return it == hints.end() ? std::string() : " — " + it->second;
}

std::string describe_failure(const PendingChallenge& pending, const acme::Authorization& outcome) {
  const acme::Problem* problem = nullptr;
  for (const auto& challenge : outcome.challenges) {
    if (challenge.type == pending.challenge.type && challenge.error)
      problem = &*challenge.error;
  }
  std::string reason =
      problem ? util::escape_untrusted(
                    problem->detail.empty() ? problem->short_type() : problem->detail, 400)
              : "authorization is " + util::escape_untrusted(outcome.status, 20);
  return fmt::format("{}: {} failed: {}{}", outcome.identifier.value, pending.challenge.type,
                     reason,
                     problem ? hint_for(problem->short_type(), pending.challenge.type) : "");
}

IssuedCertificate split_chain(const std::string& pem) {
  std::vector<std::string> blocks;
  try {
    blocks = crypto::split_pem_chain(pem);
  } catch (const Error& error) {
    throw acme::ProtocolError(std::string("the certificate from the CA is unusable: ") +
                              error.what());
  }
  IssuedCertificate issued;
  issued.cert_pem = blocks.front();
  for (std::size_t i = 1; i < blocks.size(); ++i)
    issued.chain_pem += blocks[i];
  issued.fullchain_pem = issued.cert_pem + issued.chain_pem;
  return issued;
}

// Collects the solver's tasks and guarantees cleanup on every path out.
class SolverSession {
public:
  ~SolverSession() {
    for (auto& [solver, tasks] : m_performed)
      solver->cleanup(tasks);
  }
  void perform(challenge::Solver* solver, const std::vector<challenge::Task>& tasks) {
    m_performed.emplace_back(solver,
                             tasks); // recorded first: cleanup is safe after partial perform
    solver->perform(tasks);
  }

private:
  std::vector<std::pair<challenge::Solver*, std::vector<challenge::Task>>> m_performed;
};

// RFC 9773 §5: a CA may refuse `replaces` (already replaced, or not ours to
// replace); the certificate is still wanted, so ask once more without it.
acme::Order new_order(acme::Client& client, const std::vector<acme::Identifier>& identifiers,
                      const std::string& replaces, const std::string& profile) {
  if (replaces.empty() || client.directory().renewal_info.empty())
    return client.new_order(identifiers, {}, profile);
  try {
    return client.new_order(identifiers, replaces, profile);
  } catch (const acme::AcmeError& error) {
    if (error.problem().status >= 500)
      throw;
    util::log_warning("the CA refused to record that this order replaces {} ({}); ordering "
                      "without it",
                      replaces, error.problem().describe());
    return client.new_order(identifiers, {}, profile);
  }
}

} // namespace

const acme::Challenge* choose_challenge(const acme::Authorization& authorization,
                                        const std::vector<challenge::Solver*>& solvers,
                                        challenge::Solver** chosen_solver) {
  for (auto* solver : solvers) {
    for (const auto& challenge : authorization.challenges) {
      if (challenge.type == solver->type()) {
        *chosen_solver = solver;
        return &challenge;
      }
    }
  }
  return nullptr;
}

IssuedCertificate obtain_certificate(acme::Client& client, const std::string& account_thumbprint,
                                     const std::vector<acme::Identifier>& identifiers,
                                     const std::string& csr_der,
                                     const std::vector<challenge::Solver*>& solvers,
                                     const OrderPreferences& preferences) {
  std::string profile;
  if (!preferences.preferred_profile.empty() || !preferences.required_profile.empty())
    profile = choose_profile(client.directory(), preferences.preferred_profile,
                             preferences.required_profile);
  acme::Order order = new_order(client, identifiers, preferences.replaces, profile);
  util::log_debug("order {} is {}", order.url, order.status);

  std::vector<PendingChallenge> pending;
  for (const auto& url : order.authorizations) {
    acme::Authorization authorization = client.fetch_authorization(url);
    if (authorization.status == "valid")
      continue; // reused from an earlier order
    if (authorization.status != "pending")
      throw ChallengeError(fmt::format("{}: the CA says the authorization is {}",
                                       authorization.identifier.value,
                                       util::escape_untrusted(authorization.status, 20)));
    challenge::Solver* solver = nullptr;
    const acme::Challenge* challenge = choose_challenge(authorization, solvers, &solver);
    if (challenge == nullptr) {
      std::string offered;
      for (const auto& c : authorization.challenges)
        offered += (offered.empty() ? "" : ", ") + util::escape_untrusted(c.type, 30);
      throw ChallengeError(fmt::format("{}: the CA offers no challenge this authenticator can "
                                       "answer (offered: {})",
                                       authorization.identifier.value, offered));
    }
    PendingChallenge item{authorization, *challenge, solver, {}};
    item.task = {authorization.identifier.value, challenge->type, challenge->token,
                 challenge->token + "." + account_thumbprint};
    pending.push_back(std::move(item));
  }

  {
    SolverSession session;
    std::map<challenge::Solver*, std::vector<challenge::Task>> tasks_by_solver;
    for (const auto& item : pending)
      tasks_by_solver[item.solver].push_back(item.task);
    for (const auto& [solver, tasks] : tasks_by_solver)
      session.perform(solver, tasks);

    for (const auto& item : pending)
      client.respond_to_challenge(item.challenge.url);
    std::vector<std::string> failures;
    for (const auto& item : pending) {
      acme::Authorization outcome = client.poll_authorization(item.authorization.url);
      if (outcome.status != "valid")
        failures.push_back(describe_failure(item, outcome));
    }
    if (!failures.empty()) {
      std::string message;
      for (const auto& line : failures)
        message += (message.empty() ? "" : "\n") + line;
      throw ChallengeError(message);
    }
  }

  order = client.finalize_order(order, csr_der);
  if (order.status != "valid" && order.status != "invalid")
    order = client.poll_order(order.url);
  if (order.status != "valid" || order.certificate.empty()) {
    if (order.error)
      throw acme::AcmeError(*order.error);
    throw acme::ProtocolError(fmt::format("the order ended {} without a certificate",
                                          util::escape_untrusted(order.status, 20)));
  }
  acme::CertificateChain downloaded = client.download_certificate(order.certificate);
  IssuedCertificate issued = split_chain(downloaded.pem);
  if (preferences.preferred_chain.empty())
    return issued;
  return split_chain(choose_chain(client, downloaded, preferences.preferred_chain));
}

} // namespace certsmith::issuance
