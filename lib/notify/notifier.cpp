#include "notify/notifier.hpp"

#include "notify/message.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <unistd.h>

namespace certsmith::notify {

namespace {

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0)
    return "localhost";
  return buffer;
}

class Dispatcher {
public:
  Dispatcher(const NotifyOptions& options)
      : m_options(options), m_deadline(std::chrono::steady_clock::now() + options.budget) {}

  // True when every configured channel took the event.
  bool send(const NotifySettings& settings, const Event& event) {
    bool delivered = true;
    if (!settings.emails.empty())
      delivered &= attempt(event, "mail", [&] { send_mail(settings, event); });
    if (!settings.webhook.empty())
      delivered &= attempt(event, "webhook", [&] {
        post_webhook(webhook_transport(), settings.webhook, webhook_json(event));
      });
    return delivered;
  }

private:
  template <typename Send> bool attempt(const Event& event, const char* channel, Send&& send) {
    if (std::chrono::steady_clock::now() > m_deadline) {
      util::log_warning("{}: {} notification skipped: notifications of this run took longer "
                        "than {} s",
                        event.lineage, channel, m_options.budget.count());
      return false;
    }
    try {
      send();
      util::log_info("{}: sent {} notification ({})", event.lineage, channel,
                     event_name(event.kind));
      return true;
    } catch (const std::exception& error) {
      util::log_warning("{}: {} notification failed: {}", event.lineage, channel,
                        util::escape_untrusted(error.what(), 400));
      return false;
    }
  }

  void send_mail(const NotifySettings& settings, const Event& event) {
    SmtpServer server;
    server.url = settings.smtp_url;
    server.ca_bundle = m_options.ca_bundle;
    if (!settings.smtp_credentials.empty()) {
      SmtpCredentials credentials = read_smtp_credentials(settings.smtp_credentials);
      server.username = credentials.username;
      server.password = credentials.password;
    }
    std::string from = settings.from.empty() ? "certsmith@" + event.host : settings.from;
    mail_sender().send(server, build_email(event, from, settings.emails));
  }

  MailSender& mail_sender() {
    if (m_options.mail != nullptr)
      return *m_options.mail;
    if (!m_mail)
      m_mail = make_curl_mail_sender();
    return *m_mail;
  }

  http::Transport& webhook_transport() {
    if (m_options.webhook != nullptr)
      return *m_options.webhook;
    if (!m_webhook)
      m_webhook = make_webhook_transport(m_options.ca_bundle);
    return *m_webhook;
  }

  const NotifyOptions& m_options;
  std::chrono::steady_clock::time_point m_deadline;
  std::unique_ptr<MailSender> m_mail;
  std::unique_ptr<http::Transport> m_webhook;
};

} // namespace

int notify_results(const NotifyOptions& options, const std::vector<LineageResult>& results,
                   const std::vector<std::string>& all_names, const std::filesystem::path& work_dir,
                   const util::Clock& clock) {
  RateState state = RateState::load(RateState::default_path(work_dir));
  Dispatcher dispatcher(options);
  const std::string host = options.host.empty() ? host_name() : options.host;
  const auto now = clock.now();
  int sent = 0;
  bool changed = false;
  for (const auto& result : results) {
    if (result.settings.empty())
      continue;
    try {
      validate(result.settings);
    } catch (const Error& error) {
      util::log_warning("{}: no notification: {}", result.name, error.what());
      continue;
    }
    bool expiring = result.settings.expiry_days && result.not_after &&
                    *result.not_after - now < std::chrono::hours(24 * *result.settings.expiry_days);
    auto kind = state.record(result.name, result.result, result.error, expiring,
                             result.settings.on_success.value_or(false),
                             result.settings.interval.value_or(k_default_interval), now);
    changed = true;
    if (!kind)
      continue;
    const LineageState* lineage = state.find(result.name);
    Event event{*kind,
                result.name,
                result.domains,
                result.error,
                result.not_after,
                host,
                now,
                lineage != nullptr ? lineage->failures : 0};
    if (*kind == EventKind::renewal_recovered && lineage != nullptr)
      event.error = lineage->message; // what it was failing with
    if (dispatcher.send(result.settings, event))
      ++sent;
    else
      state.forget_notice(result.name, *kind);
  }
  if (changed || std::filesystem::exists(RateState::default_path(work_dir))) {
    state.retain(all_names);
    try {
      state.save();
    } catch (const std::exception& error) {
      util::log_warning("could not save the notification state: {}", error.what());
    }
  }
  return sent;
}

} // namespace certsmith::notify
