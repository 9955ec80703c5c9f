#include "notify/notifier.hpp"

#include "notify/message.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"
#include "util/log.hpp"

#include <map>
#include <unistd.h>

namespace certsmith::notify {

namespace {

std::string host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0)
    return "localhost";
  return buffer;
}

std::vector<std::string> channels_of(const NotifySettings& settings) {
  std::vector<std::string> channels;
  if (!settings.emails.empty())
    channels.emplace_back("mail");
  if (!settings.webhook.empty())
    channels.emplace_back("webhook");
  return channels;
}

class Dispatcher {
public:
  Dispatcher(const NotifyOptions& options, const util::Clock& clock)
      : m_options(options), m_clock(clock), m_deadline(clock.now() + options.budget) {}

  // True when `channel` took the event.
  bool send(const std::string& channel, const NotifySettings& settings, const Event& event) {
    if (m_clock.now() > m_deadline) {
      util::log_warning("{}: {} notification skipped: notifications of this run took longer "
                        "than {} s",
                        event.lineage, channel, m_options.budget.count());
      return false;
    }
    try {
      if (channel == "mail")
        send_mail(settings, event);
      else
        post_webhook(webhook_transport(settings.ca_bundle), settings.webhook, webhook_json(event));
      util::log_info("{}: sent {} notification ({})", event.lineage, channel,
                     event_name(event.kind));
      return true;
    } catch (const std::exception& error) {
      util::log_warning("{}: {} notification failed: {}", event.lineage, channel,
                        util::escape_untrusted(error.what(), 400));
      return false;
    }
  }

private:
  void send_mail(const NotifySettings& settings, const Event& event) {
    SmtpServer server;
    server.url = settings.smtp_url;
    server.ca_bundle = settings.ca_bundle;
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

  // One transport per CA bundle: lineages may name different --notify-ca-bundle files.
  http::Transport& webhook_transport(const std::string& ca_bundle) {
    if (m_options.webhook != nullptr)
      return *m_options.webhook;
    auto& transport = m_webhooks[ca_bundle];
    if (!transport)
      transport = make_webhook_transport(ca_bundle);
    return *transport;
  }

  const NotifyOptions& m_options;
  const util::Clock& m_clock;
  util::Clock::TimePoint m_deadline;
  std::unique_ptr<MailSender> m_mail;
  std::map<std::string, std::unique_ptr<http::Transport>> m_webhooks;
};

} // namespace

int notify_results(const NotifyOptions& options, const std::vector<LineageResult>& results,
                   const std::vector<std::string>& all_names, const std::filesystem::path& work_dir,
                   const util::Clock& clock) {
  RateState state = RateState::load(RateState::default_path(work_dir));
  Dispatcher dispatcher(options, clock);
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
    const auto channels = channels_of(result.settings);
    state.record(result.name, result.result, result.error, channels, now);
    changed = true;
    const LineageState* lineage = state.find(result.name);
    // "Expires in < N days" only when renewal is not fixing it: the last
    // attempt failed, or renewal is disabled. A healthy lineage not yet due is quiet.
    bool stuck = (lineage != nullptr && lineage->failing) || result.renewal_disabled;
    bool expiring = stuck && result.settings.expiry_days && result.not_after &&
                    *result.not_after - now < std::chrono::hours(24 * *result.settings.expiry_days);
    for (const auto& channel : channels) {
      auto kind = state.due(result.name, channel, result.result, expiring,
                            result.settings.on_success.value_or(false),
                            result.settings.interval.value_or(k_default_interval), now);
      if (!kind)
        continue;
      Event event{*kind, result.name, result.domains, result.error, result.not_after, host, now, 0};
      if (*kind == EventKind::renewal_failed || *kind == EventKind::expiring) {
        event.failures = lineage->failures;
        event.error = lineage->failing ? lineage->message : "";
      } else if (*kind == EventKind::renewal_recovered) {
        event.error = lineage->message; // what it was failing with
      }
      if (dispatcher.send(channel, result.settings, event)) {
        state.delivered(result.name, channel, *kind, now);
        ++sent;
      }
    }
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
