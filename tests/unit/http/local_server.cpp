#include "local_server.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cstring>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdexcept>
#include <strings.h>

namespace certsmith::testing {

std::string SeenRequest::header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) {
      return value;
    }
  }
  return {};
}

struct LocalServer::State {
  Handler handler;
  MHD_Daemon* daemon = nullptr;
  mutable std::mutex mutex;
  std::condition_variable stopping_changed;
  bool stopping = false;
  std::vector<SeenRequest> requests;
};

namespace {

using State = LocalServer::State;

struct Generated {
  std::size_t remaining;
};

ssize_t generate(void* cls, std::uint64_t /*pos*/, char* buffer, std::size_t max) {
  auto* generated = static_cast<Generated*>(cls);
  if (generated->remaining == 0) {
    return MHD_CONTENT_READER_END_OF_STREAM;
  }
  const std::size_t n = std::min(max, generated->remaining);
  std::memset(buffer, 'x', n);
  generated->remaining -= n;
  return static_cast<ssize_t>(n);
}

void free_generated(void* cls) {
  delete static_cast<Generated*>(cls);
}

MHD_Result collect_header(void* cls, MHD_ValueKind /*kind*/, const char* key, const char* value) {
  static_cast<SeenRequest*>(cls)->headers.emplace_back(key, value != nullptr ? value : "");
  return MHD_YES;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* /*version*/, const char* upload_data,
                      std::size_t* upload_data_size, void** request_state) {
  auto* state = static_cast<State*>(cls);
  auto* seen = static_cast<SeenRequest*>(*request_state);
  if (seen == nullptr) {
    seen = new SeenRequest;
    seen->method = method;
    seen->url = url;
    MHD_get_connection_values(connection, MHD_HEADER_KIND, &collect_header, seen);
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info != nullptr && info->client_addr->sa_family == AF_INET) {
      seen->client_port = ntohs(reinterpret_cast<const sockaddr_in*>(info->client_addr)->sin_port);
    }
    *request_state = seen;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    seen->body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  {
    std::lock_guard lock(state->mutex);
    state->requests.push_back(*seen);
  }
  const CannedReply reply = state->handler(*seen);
  if (reply.delay.count() > 0) {
    std::unique_lock lock(state->mutex);
    state->stopping_changed.wait_for(lock, reply.delay, [state] { return state->stopping; });
  }
  MHD_Response* response = nullptr;
  if (reply.generated_bytes > 0) {
    response = MHD_create_response_from_callback(
        reply.declare_length ? reply.generated_bytes : MHD_SIZE_UNKNOWN, 16 * 1024, &generate,
        new Generated{reply.generated_bytes}, &free_generated);
  } else {
    response = MHD_create_response_from_buffer(
        reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  }
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
}

void on_completed(void* /*cls*/, MHD_Connection* /*connection*/, void** request_state,
                  MHD_RequestTerminationCode /*code*/) {
  delete static_cast<SeenRequest*>(*request_state);
  *request_state = nullptr;
}

} // namespace

LocalServer::LocalServer(Handler handler) : m_state(std::make_unique<State>()) {
  m_state->handler = std::move(handler);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  m_state->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, nullptr, nullptr,
      &on_request, m_state.get(), MHD_OPTION_NOTIFY_COMPLETED, &on_completed, nullptr,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(1024 * 1024),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<const sockaddr*>(&address), MHD_OPTION_END);
  if (m_state->daemon == nullptr) {
    throw std::runtime_error("cannot start the local test server");
  }
}

LocalServer::~LocalServer() {
  {
    std::lock_guard lock(m_state->mutex);
    m_state->stopping = true;
  }
  m_state->stopping_changed.notify_all();
  MHD_stop_daemon(m_state->daemon);
}

std::uint16_t LocalServer::port() const {
  return MHD_get_daemon_info(m_state->daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

std::string LocalServer::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<SeenRequest> LocalServer::requests() const {
  std::lock_guard lock(m_state->mutex);
  return m_state->requests;
}

} // namespace certsmith::testing
