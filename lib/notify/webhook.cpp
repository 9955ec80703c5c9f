#include "notify/senders.hpp"
#include "util/error.hpp"
#include "util/escape.hpp"

#include <fmt/format.h>

namespace certsmith::notify {

void post_webhook(http::Transport& transport, const std::string& url, const std::string& json) {
  http::Request request;
  request.method = "POST";
  request.url = url;
  request.headers = {{"Content-Type", "application/json"}};
  request.body = json;
  http::Response response = transport.perform(request);
  if (response.status < 200 || response.status > 299)
    throw NetworkError(
        fmt::format("webhook {} answered {}", util::escape_untrusted(url, 200), response.status));
}

std::unique_ptr<http::Transport> make_webhook_transport(const std::string& ca_bundle) {
  http::TransportOptions options;
  options.ca_bundle = ca_bundle;
  options.connect_timeout = std::chrono::seconds(5);
  options.total_timeout = std::chrono::seconds(15);
  // The answer is not read, only its status: a large body is cut off, not stored.
  options.max_body_bytes = 64 * 1024;
  return http::make_curl_transport(options);
}

} // namespace certsmith::notify
