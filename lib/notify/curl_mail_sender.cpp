#include "notify/senders.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <algorithm>
#include <cstring>
#include <curl/curl.h>
#include <fmt/format.h>

namespace certsmith::notify {

namespace {

struct Upload {
  const std::string* text;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* data) {
  auto* upload = static_cast<Upload*>(data);
  std::size_t left = upload->text->size() - upload->offset;
  std::size_t length = std::min(left, size * count);
  std::memcpy(buffer, upload->text->data() + upload->offset, length);
  upload->offset += length;
  return length;
}

// A refused option (an old libcurl without smtp, a missing TLS backend) must
// not silently drop a safety setting such as "STARTTLS required".
template <typename Value> void set(CURL* handle, CURLoption option, Value value) {
  CURLcode code = curl_easy_setopt(handle, option, value);
  if (code != CURLE_OK)
    throw NetworkError(
        fmt::format("SMTP: libcurl refused an option: {}", curl_easy_strerror(code)));
}

class CurlMailSender : public MailSender {
public:
  void send(const SmtpServer& server, const Email& email) override {
    CURL* handle = curl_easy_init();
    if (handle == nullptr)
      throw NetworkError("SMTP: could not start libcurl");
    struct Cleanup {
      CURL* handle;
      curl_slist* recipients = nullptr;
      ~Cleanup() {
        curl_slist_free_all(recipients);
        curl_easy_cleanup(handle);
      }
    } cleanup{handle};
    for (const auto& address : email.to) {
      curl_slist* longer = curl_slist_append(cleanup.recipients, ("<" + address + ">").c_str());
      if (longer == nullptr)
        throw NetworkError("SMTP: out of memory for the recipient list");
      cleanup.recipients = longer;
    }
    Upload upload{&email.message};
    std::string from = "<" + email.from + ">";
    bool plain = server.url.rfind("smtp://", 0) == 0;
    set(handle, CURLOPT_URL, server.url.c_str());
    set(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    set(handle, CURLOPT_MAIL_FROM, from.c_str());
    set(handle, CURLOPT_MAIL_RCPT, cleanup.recipients);
    set(handle, CURLOPT_READFUNCTION, read_upload);
    set(handle, CURLOPT_READDATA, &upload);
    set(handle, CURLOPT_UPLOAD, 1L);
    set(handle, CURLOPT_NOSIGNAL, 1L);
    set(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(server.connect_timeout.count()));
    set(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(server.total_timeout.count()));
    if (!server.ca_bundle.empty())
      set(handle, CURLOPT_CAINFO, server.ca_bundle.c_str());
    if (!server.username.empty()) {
      set(handle, CURLOPT_USERNAME, server.username.c_str());
      set(handle, CURLOPT_PASSWORD, server.password.c_str());
      // A password never crosses the network in the clear: smtp:// must STARTTLS.
      if (plain)
        set(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    } else if (plain) {
      set(handle, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_TRY));
    }
    char error_text[CURL_ERROR_SIZE] = {};
    set(handle, CURLOPT_ERRORBUFFER, error_text);
    CURLcode code = curl_easy_perform(handle);
    if (code != CURLE_OK) {
      long reply = 0;
      curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &reply);
      throw NetworkError(
          fmt::format("SMTP {}: {}{}", util::escape_untrusted(server.url, 200),
                      util::escape_untrusted(
                          error_text[0] != '\0' ? error_text : curl_easy_strerror(code), 300),
                      reply != 0 ? fmt::format(" (reply {})", reply) : ""));
    }
  }
};

} // namespace

std::unique_ptr<MailSender> make_curl_mail_sender() {
  return std::make_unique<CurlMailSender>();
}

} // namespace certsmith::notify
