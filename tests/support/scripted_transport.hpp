#pragma once
// A Transport that answers from a script and records every request, so unit
// tests can drive the ACME client without a network.

#include "http/transport.hpp"

#include <deque>
#include <functional>
#include <stdexcept>

namespace certsmith::testing {

class ScriptedTransport : public http::Transport {
public:
  using Handler = std::function<http::Response(const http::Request&)>;

  /// Answer the next request with response (a fresh Replay-Nonce is added
  /// unless the response already has one or add_nonce is false).
  void expect(http::Response response, bool add_nonce = true) {
    m_script.push_back([response, add_nonce, this](const http::Request&) mutable {
      if (add_nonce && !response.header("replay-nonce"))
        response.headers.emplace_back("replay-nonce", "nonce" + std::to_string(++m_nonce_counter));
      return response;
    });
  }
  void expect(Handler handler) { m_script.push_back(std::move(handler)); }

  http::Response perform(const http::Request& request) override {
    m_requests.push_back(request);
    if (m_script.empty())
      throw std::logic_error("unexpected request: " + request.method + " " + request.url);
    Handler handler = std::move(m_script.front());
    m_script.pop_front();
    http::Response response = handler(request);
    response.url = request.url;
    return response;
  }

  const std::vector<http::Request>& requests() const { return m_requests; }
  std::size_t remaining() const { return m_script.size(); }

private:
  std::deque<Handler> m_script;
  std::vector<http::Request> m_requests;
  int m_nonce_counter = 0;
};

/// Shorthand for a JSON response.
inline http::Response json_response(long status, std::string body, http::Headers headers = {}) {
  headers.emplace_back("content-type", "application/json");
  return http::Response{status, std::move(headers), std::move(body), {}};
}

} // namespace certsmith::testing
