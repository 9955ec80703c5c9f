#pragma once
// How notifications leave the host, behind seams: mail through a MailSender
// (libcurl SMTP in the program, a recorder in unit tests), webhooks through
// http::Transport (scripted in unit tests). Every send is bounded in time and
// throws NetworkError when it fails; the caller turns that into a warning.

#include "http/transport.hpp"
#include "notify/message.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace certsmith::notify {

struct SmtpServer {
  std::string url;                // smtp://host:port or smtps://host:port
  std::string username, password; // both empty: no AUTH
  std::string ca_bundle;          // "" = the system store
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
};

class MailSender {
public:
  virtual ~MailSender() = default;
  virtual void send(const SmtpServer& server, const Email& email) = 0;
};

/// libcurl: smtp and smtps only, STARTTLS required when a password would be sent
/// over smtp://, the server's replies bounded by libcurl's own limits.
std::unique_ptr<MailSender> make_curl_mail_sender();

/// POST the document; a status other than 2xx is a NetworkError naming it.
void post_webhook(http::Transport& transport, const std::string& url, const std::string& json);

/// The transport webhooks use: short timeouts, a 64 KiB response cap.
std::unique_ptr<http::Transport> make_webhook_transport(const std::string& ca_bundle);

struct SmtpCredentials {
  std::string username, password;
};

/// certbot-dns-rfc2136 style ini: `smtp_username = ...`, `smtp_password = ...`.
/// Throws UsageError for a file that is not regular, readable by group or
/// others, larger than 64 KiB, or lacks either key.
SmtpCredentials read_smtp_credentials(const std::filesystem::path& path);

} // namespace certsmith::notify
