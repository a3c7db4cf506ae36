#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gateway/core/time_source.h"
#include "tests/support/test_peer.h"

// An OAuth2 token endpoint for tests (SMART Backend Services and client_secret_basic), on
// 127.0.0.1 port 0. It checks a client assertion on its own, with OpenSSL directly rather than
// Brygga's JOSE code: the signature (ES384 as R || S, RS384), kid, iss = sub = the client id, aud
// = its own URL, exp in the future and at most 5 minutes ahead, a jti it has not seen. It issues
// opaque tokens that expire after a configurable number of seconds, and can fail on purpose.
// Time is the given clock's (the real time by default). Thread-safe.
namespace brygga::testing {

class TestTokenEndpoint {
 public:
  explicit TestTokenEndpoint(const core::TimeSource* clock = nullptr);
  std::string url() const;  // http://127.0.0.1:PORT/auth/token

  void addAssertionClient(const std::string& clientId, const std::string& publicKeyPem,
                          const std::string& kid, const std::string& alg);
  void addSecretClient(const std::string& clientId, const std::string& secret);
  void setLifetimeSeconds(int seconds);
  // The next `count` token requests are answered `status` (500: the endpoint is broken).
  void failNext(int count, int status = 500);

  // Whether `token` was issued here and has not expired.
  bool isValid(const std::string& token) const;
  int issued() const;
  int requests() const;
  // The OAuth error codes of the refused requests, in order, each with the reason
  // ("invalid_client: aud").
  std::vector<std::string> refusals() const;
  // The scope of the last token request.
  std::string lastScope() const;

 private:
  TestPeer::Response handle(const TestPeer::Request& request);
  TestPeer::Response refuse(int status, const std::string& error, const std::string& why);
  std::string checkAssertion(const std::string& assertion, std::string& clientId);

  struct Client {
    std::string publicKeyPem;
    std::string kid;
    std::string alg;
    std::string secret;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Client> clients_;
  std::set<std::string> seenJti_;
  int64_t nowMs() const { return clock_ != nullptr ? clock_->nowMs() : system_.nowMs(); }

  const core::TimeSource* clock_;
  core::RealTimeSystem system_;
  std::map<std::string, int64_t> tokens_;  // token -> expiry
  std::vector<std::string> refusals_;
  std::string lastScope_;
  int lifetimeSeconds_ = 300;
  int failCount_ = 0;
  int failStatus_ = 500;
  int issued_ = 0;
  int requests_ = 0;
  TestPeer peer_;
};

// A TestPeer handler that answers 401 unless the request carries a bearer token `endpoint` issued
// and that has not expired, and 401 to the first `refuseFirst` requests that do (a peer that
// revoked a token early); otherwise `inner` answers (default: 200 with a transaction-response).
TestPeer::Handler requireBearer(TestTokenEndpoint& endpoint, int refuseFirst = 0,
                                TestPeer::Handler inner = {});

}  // namespace brygga::testing
