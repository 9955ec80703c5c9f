#include "notify/message.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <regex>

using namespace certsmith::notify;

namespace {
Event failed_event() {
  Event event;
  event.kind = EventKind::renewal_failed;
  event.lineage = "example.com";
  event.domains = {"example.com", "www.example.com"};
  event.error = "urn:ietf:params:acme:error:connection: refused";
  event.not_after = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  event.host = "web1";
  event.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'799'000'000));
  event.failures = 1;
  return event;
}
} // namespace

TEST_CASE("notify message: the webhook document has schema_version 1 and every field") {
  auto document = nlohmann::json::parse(webhook_json(failed_event()));
  CHECK(document["schema_version"] == 1);
  CHECK(document["event"] == "renewal_failed");
  CHECK(document["lineage"] == "example.com");
  CHECK(document["domains"].size() == 2);
  CHECK(document["error"] == "urn:ietf:params:acme:error:connection: refused");
  CHECK(document["not_after"] == "2027-01-15T08:00:00Z");
  CHECK(document["host"] == "web1");
  CHECK(document["time"].get<std::string>().back() == 'Z');
  CHECK(document["failures"] == 1);
}

TEST_CASE("notify message: no error and no expiry are JSON null") {
  Event event = failed_event();
  event.kind = EventKind::renewal_succeeded;
  event.error.clear();
  event.not_after.reset();
  auto document = nlohmann::json::parse(webhook_json(event));
  CHECK(document["error"].is_null());
  CHECK(document["not_after"].is_null());
  CHECK(document["event"] == "renewal_succeeded");
}

TEST_CASE("notify message: invalid UTF-8 in a CA's error does not throw") {
  Event event = failed_event();
  event.error = "bad \xff\xfe bytes";
  CHECK_NOTHROW(nlohmann::json::parse(webhook_json(event)));
}

TEST_CASE("notify message: a CA's error with CR/LF cannot add mail headers") {
  Event event = failed_event();
  event.error = "x\r\nBcc: victim@example.com\r\n\r\nfake body";
  event.host = "web1\r\nBcc: victim@example.com";
  Email email = build_email(event, "certsmith@web1", {"ops@example.com"});
  auto header_end = email.message.find("\r\n\r\n");
  REQUIRE(header_end != std::string::npos);
  std::string headers = email.message.substr(0, header_end);
  CHECK(headers.find("\r\nBcc:") == std::string::npos); // inside the Subject, not a header
  CHECK(headers.find("Subject: certsmith: renewal of example.com failed on web1??Bcc") !=
        std::string::npos);
  std::string body = email.message.substr(header_end + 4);
  CHECK(body.find("\r\nBcc: victim") == std::string::npos);
  // Every line ends in CRLF: no bare LF or CR reaches the SMTP server.
  for (std::size_t i = 0; i < email.message.size(); ++i) {
    if (email.message[i] == '\n')
      CHECK(email.message[i - 1] == '\r');
    if (email.message[i] == '\r')
      CHECK(email.message[i + 1] == '\n');
  }
}

TEST_CASE("notify message: the subject says what happened") {
  Event event = failed_event();
  CHECK(subject_line(event) == "certsmith: renewal of example.com failed on web1");
  event.kind = EventKind::renewal_recovered;
  CHECK(subject_line(event) == "certsmith: example.com renewed again on web1");
  event.kind = EventKind::expiring;
  CHECK(subject_line(event) == "certsmith: example.com expires soon on web1");
}

TEST_CASE("notify message: a Message-ID <random@host> and a Date, unique per mail") {
  auto header = [](const std::string& message, const std::string& name) {
    auto at = message.find("\r\n" + name + ": ");
    REQUIRE(at != std::string::npos);
    at += name.size() + 4;
    return message.substr(at, message.find("\r\n", at) - at);
  };
  Event event = failed_event();
  event.host = "web1.example\r\nBcc: x@y";
  auto first = build_email(event, "a@example.com", {"b@example.com"}).message;
  auto second = build_email(event, "a@example.com", {"b@example.com"}).message;
  auto id = header(first, "Message-ID");
  CHECK(std::regex_match(id, std::regex("<[0-9a-f]{32}@web1\\.exampleBccxy>")));
  CHECK(id != header(second, "Message-ID"));
  CHECK(header(first, "Date") == "Sun, 03 Jan 2027 18:13:20 +0000");
}
