// Where the time of a `renew` with nothing due goes, over N lineages: list
// the names, load each lineage (renewal conf + link checks), know its
// certificate's validity (expiry index, or parsing every cert.pem), decide.
// Not a test; built by bench/renew_due_micro.sh. Usage:
//   renew_due_micro N [dir [warm]]  (dir is created, filled, and kept when given;
//                                    "warm": only index passes, for peak RSS)

#include "crypto/certificate.hpp"
#include "crypto/private_key.hpp"
#include "renew/ari_cache.hpp"
#include "renew/due.hpp"
#include "renew/expiry_index.hpp"
#include "store/atomic_file.hpp"
#include "store/lineage.hpp"
#include "store/renewal_conf.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/resource.h>
#include <unistd.h>

using namespace certsmith;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return text;
}

// A self-signed 90-day certificate made through OpenSSL's command line keeps
// this driver free of test fixtures.
store::CertificateFiles make_files(const fs::path& scratch) {
  auto key = crypto::PrivateKey::generate({});
  spit(scratch / "key.pem", key.to_pem());
  std::string command = fmt::format(
      "openssl req -new -x509 -key {0}/key.pem -out {0}/cert.pem -days 90 -subj /CN=example.com "
      "-addext subjectAltName=DNS:example.com,DNS:www.example.com "
      "-addext authorityKeyIdentifier=keyid:always 2>/dev/null",
      scratch.string());
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("openssl req failed");
  store::CertificateFiles files;
  files.cert_pem = slurp(scratch / "cert.pem");
  files.chain_pem = files.cert_pem;
  files.fullchain_pem = files.cert_pem + files.chain_pem;
  files.privkey_pem = key.to_pem();
  return files;
}

// One real lineage, then copies under other names (plain writes, no fsync),
// as the issue suggests: "copying one real lineage under 1,000 names".
void build_tree(const store::TreePaths& paths, int count) {
  fs::create_directories(paths.work_dir);
  store::RenewalParams params;
  params.authenticator = "standalone";
  params.server = "https://acme.test/dir";
  params.key_type = "ecdsa";
  auto files = make_files(paths.work_dir);
  store::create_lineage(paths, "lineage-0", files, params);
  std::string conf = slurp(paths.renewal_conf("lineage-0"));
  for (int i = 1; i < count; ++i) {
    std::string name = fmt::format("lineage-{}", i);
    fs::create_directories(paths.lineage_archive_dir(name));
    fs::create_directories(paths.lineage_live_dir(name));
    for (const char* kind : {"cert", "chain", "fullchain", "privkey"}) {
      fs::copy_file(paths.lineage_archive_dir("lineage-0") / fmt::format("{}1.pem", kind),
                    paths.lineage_archive_dir(name) / fmt::format("{}1.pem", kind));
      fs::create_symlink(fmt::format("../../archive/{}/{}1.pem", name, kind),
                         paths.lineage_live_dir(name) / fmt::format("{}.pem", kind));
    }
    spit(paths.renewal_conf(name), replace_all(conf, "lineage-0", name));
  }
}

struct PassTimes {
  double list = 0, load = 0, facts = 0, decide = 0, index_load = 0, index_save = 0, cache = 0;
  int due = 0;
  double total() const { return list + load + facts + decide + index_load + index_save + cache; }
};

// One nothing-due pass as `renew` would make it.
PassTimes renew_pass(const store::TreePaths& paths, bool use_index) {
  PassTimes times;
  auto start = Clock::now();
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
  times.index_load = ms_since(start);
  start = Clock::now();
  auto cache = renew::AriCache::load(renew::AriCache::default_path(paths));
  times.cache = ms_since(start);
  start = Clock::now();
  auto names = store::Lineage::list_names(paths);
  times.list = ms_since(start);
  auto now = std::chrono::system_clock::now();
  for (const auto& name : names) {
    start = Clock::now();
    auto lineage = store::Lineage::load(paths, name);
    times.load += ms_since(start);
    start = Clock::now();
    std::chrono::system_clock::time_point not_before, not_after;
    if (use_index) {
      const auto& facts = index.facts_for(lineage);
      not_before = facts.not_before;
      not_after = facts.not_after;
    } else {
      auto facts = crypto::read_certificate(lineage.read_cert_pem());
      not_before = facts.not_before;
      not_after = facts.not_after;
    }
    times.facts += ms_since(start);
    start = Clock::now();
    renew::DueInputs inputs{not_before, not_after, std::nullopt, std::nullopt, 0.5};
    if (lineage.params().renew_before_expiry)
      inputs.renew_before_expiry =
          renew::parse_renew_before_expiry(*lineage.params().renew_before_expiry);
    times.due += renew::decide_due(inputs, now).due ? 1 : 0;
    times.decide += ms_since(start);
  }
  start = Clock::now();
  index.retain(names);
  index.save();
  times.index_save = ms_since(start);
  return times;
}

// What a lighter lineage load would cost: only the renewal conf (read, parse,
// params) and the cert link through the index; the other three links and the
// crash-leftover check would wait until a lineage is actually due.
PassTimes light_pass(const store::TreePaths& paths) {
  PassTimes times;
  auto start = Clock::now();
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
  times.index_load = ms_since(start);
  start = Clock::now();
  auto names = store::Lineage::list_names(paths);
  times.list = ms_since(start);
  auto now = std::chrono::system_clock::now();
  for (const auto& name : names) {
    start = Clock::now();
    auto path = paths.renewal_conf(name);
    auto conf = store::ConfigObj::parse(store::read_file(path, 1 << 20), path.string());
    auto params = store::read_renewal_params(conf);
    fs::path cert = conf.root().get("cert").value_or("");
    times.load += ms_since(start);
    start = Clock::now();
    const auto& facts = index.facts_for(name, cert);
    times.facts += ms_since(start);
    start = Clock::now();
    renew::DueInputs inputs{facts.not_before, facts.not_after, std::nullopt, std::nullopt, 0.5};
    if (params.renew_before_expiry)
      inputs.renew_before_expiry = renew::parse_renew_before_expiry(*params.renew_before_expiry);
    times.due += renew::decide_due(inputs, now).due ? 1 : 0;
    times.decide += ms_since(start);
  }
  start = Clock::now();
  index.retain(names);
  index.save();
  times.index_save = ms_since(start);
  return times;
}

// The same index content as nlohmann JSON, to compare load/save costs.
void compare_json(const store::TreePaths& paths) {
  std::string text = slurp(renew::ExpiryIndex::default_path(paths));
  nlohmann::json doc = nlohmann::json::object();
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (line.starts_with("end "))
      break;
    std::vector<std::string> fields;
    std::istringstream split(line);
    for (std::string field; std::getline(split, field, '\t');)
      fields.push_back(field);
    doc[fields[0]] = {{"dev", std::stoull(fields[1])},
                      {"ino", std::stoull(fields[2])},
                      {"size", std::stoll(fields[3])},
                      {"mtime", std::stoll(fields[4])},
                      {"ctime", std::stoll(fields[5])},
                      {"not_before", std::stoll(fields[6])},
                      {"not_after", std::stoll(fields[7])},
                      {"serial", fields[8]},
                      {"aki", fields[9]},
                      {"serial_der", fields[10]},
                      {"names", nlohmann::json::array({fields[11]})}};
  }
  std::string json_text = doc.dump();
  auto start = Clock::now();
  auto parsed = nlohmann::json::parse(json_text);
  double parse_ms = ms_since(start);
  start = Clock::now();
  std::string dumped = parsed.dump();
  double dump_ms = ms_since(start);
  start = Clock::now();
  auto index = renew::ExpiryIndex::load(renew::ExpiryIndex::default_path(paths));
  double line_ms = ms_since(start);
  fmt::print("  index file: line format {} KiB, load {:.2f} ms | nlohmann JSON {} KiB, parse "
             "{:.2f} ms, dump {:.2f} ms ({} entries)\n",
             text.size() / 1024, line_ms, json_text.size() / 1024, parse_ms, dump_ms, index.size());
}

void print(const char* what, const PassTimes& t) {
  fmt::print("  {:<34} total {:7.2f} ms | index load {:.2f}, ari cache {:.2f}, list {:.2f}, "
             "lineage load {:.2f}, facts {:.2f}, decide {:.2f}, index save {:.2f} | due {}\n",
             what, t.total(), t.index_load, t.cache, t.list, t.load, t.facts, t.decide,
             t.index_save, t.due);
}

} // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  bool keep = argc > 2;
  fs::path root = keep ? fs::path(argv[2])
                       : fs::temp_directory_path() / fmt::format("renew-due-micro-{}", ::getpid());
  auto paths = store::TreePaths::under(root);
  if (!fs::exists(paths.renewal_dir())) {
    auto start = Clock::now();
    build_tree(paths, count);
    fmt::print("built {} lineages in {:.0f} ms under {}\n", count, ms_since(start), root.string());
  }
  fmt::print("{} lineages, nothing due:\n", count);
  bool warm_only = argc > 3 && std::string(argv[3]) == "warm";
  if (!warm_only) {
    print("parse every cert.pem (no index)", renew_pass(paths, false));
    print("index cold (parse + write index)", renew_pass(paths, true));
  }
  PassTimes best;
  for (int run = 0; run < 5; ++run) {
    auto t = renew_pass(paths, true);
    if (run == 0 || t.total() < best.total())
      best = t;
  }
  print("index warm (best of 5)", best);
  for (int run = 0; run < 5; ++run) {
    auto t = light_pass(paths);
    if (run == 0 || t.total() < best.total())
      best = t;
  }
  print("index warm, conf-only load (best 5)", best);
  if (!warm_only)
    compare_json(paths);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  fmt::print("  peak RSS {:.1f} MB\n", usage.ru_maxrss / 1024.0);
  if (!keep)
    fs::remove_all(root);
  return 0;
}
