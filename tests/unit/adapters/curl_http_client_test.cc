#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/http_client.h"
#include "tests/support/test_support.h"

namespace brygga::adapters {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

HttpPeer peerFor(const std::string& baseUrl) {
  HttpPeer d;
  d.baseUrl = baseUrl;
  d.connectTimeoutMs = 2000;
  d.timeoutMs = 5000;
  return d;
}

TEST(CurlHttpClient, PostsBodyAndHeadersAndReturnsTheAnswer) {
  testing::TestPeer peer;
  peer.setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.status = 201;
    r.body = R"({"resourceType":"Bundle","type":"transaction-response"})";
    r.headers["X-Peer-Trace"] = "abc123";
    r.headers["Location"] = "Bundle/1";
    return r;
  });
  auto client = makeCurlHttpClient(peerFor(peer.baseUrl()));
  HttpRequestSpec request;
  request.url = peer.baseUrl();
  request.headers = {{"Content-Type", "application/fhir+json"}, {"X-Request-Id", "req-1"}};
  request.body = R"({"resourceType":"Bundle","type":"transaction","entry":[]})";

  HttpResult result = client->send(request);

  EXPECT_EQ(result.status, 201);
  EXPECT_THAT(result.error, IsEmpty());
  EXPECT_EQ(result.body, R"({"resourceType":"Bundle","type":"transaction-response"})");
  EXPECT_EQ(result.headers["x-peer-trace"], "abc123");  // names come back lower-cased
  EXPECT_EQ(result.headers["location"], "Bundle/1");
  ASSERT_EQ(peer.requestCount(), 1u);
  const auto sent = peer.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.uri, "/fhir");
  EXPECT_EQ(sent.body, request.body);
  EXPECT_EQ(sent.headers.at("content-type"), "application/fhir+json");
  EXPECT_EQ(sent.headers.at("x-request-id"), "req-1");
  EXPECT_EQ(sent.headers.count("expect"), 0u);
}

TEST(CurlHttpClient, OneClientServesSeveralRequestsInARow) {
  testing::TestPeer peer;
  int n = 0;
  peer.setHandler([&n](const testing::TestPeer::Request& req) {
    testing::TestPeer::Response r;
    r.status = 200;
    r.body = req.method + " " + std::to_string(++n);
    return r;
  });
  auto client = makeCurlHttpClient(peerFor(peer.baseUrl()));
  HttpRequestSpec post;
  post.url = peer.baseUrl();
  post.body = "{}";
  HttpRequestSpec get;
  get.method = "GET";
  get.url = peer.baseUrl() + "/metadata";

  EXPECT_EQ(client->send(post).body, "POST 1");
  EXPECT_EQ(client->send(get).body, "GET 2");  // options of the POST must not leak into the GET
  EXPECT_EQ(client->send(post).body, "POST 3");
  const auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].uri, "/fhir/metadata");
  EXPECT_THAT(requests[1].body, IsEmpty());
}

TEST(CurlHttpClient, ErrorStatusIsAnAnswerNotATransportError) {
  testing::TestPeer peer;
  peer.setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.status = 503;
    r.body = R"({"resourceType":"OperationOutcome"})";
    r.headers["Retry-After"] = "30";
    return r;
  });
  auto client = makeCurlHttpClient(peerFor(peer.baseUrl()));
  HttpRequestSpec request;
  request.url = peer.baseUrl();
  request.body = "{}";

  HttpResult result = client->send(request);

  EXPECT_EQ(result.status, 503);
  EXPECT_THAT(result.error, IsEmpty());
  EXPECT_EQ(result.body, R"({"resourceType":"OperationOutcome"})");
  EXPECT_EQ(result.headers["retry-after"], "30");
}

TEST(CurlHttpClient, ConnectionRefusedGivesStatusZeroAndAnError) {
  int port = 0;
  {
    // Take a free port and give it back: nothing listens there afterwards.
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = socket.address().port();
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  auto client = makeCurlHttpClient(peerFor(url));
  HttpRequestSpec request;
  request.url = url;
  request.body = "{}";

  HttpResult result = client->send(request);

  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
  EXPECT_THAT(result.error, HasSubstr("connect"));
}

TEST(CurlHttpClient, SlowPeerTimesOutWithStatusZero) {
  testing::TestPeer peer;
  peer.setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.delay = std::chrono::seconds(5);  // well past the client's timeout; the peer's end cuts it
    return r;
  });
  HttpPeer d = peerFor(peer.baseUrl());
  d.timeoutMs = 300;
  auto client = makeCurlHttpClient(d);
  HttpRequestSpec request;
  request.url = peer.baseUrl();
  request.body = "{}";

  const auto started = std::chrono::steady_clock::now();
  HttpResult result = client->send(request);
  const auto elapsed = std::chrono::steady_clock::now() - started;

  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, HasSubstr("imeout"));  // "Timeout was reached"
  EXPECT_LT(elapsed, std::chrono::milliseconds(3000));
}

TEST(CurlHttpClient, UnsupportedSchemeIsATransportError) {
  auto client = makeCurlHttpClient(peerFor("file:///etc/passwd"));
  HttpRequestSpec request;
  request.method = "GET";
  request.url = "file:///etc/passwd";

  HttpResult result = client->send(request);

  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
  EXPECT_THAT(result.body, IsEmpty());
}

}  // namespace
}  // namespace brygga::adapters
