#include "gateway/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace brygga::http {
namespace {

// Feeds `text` whole (stepping over the pause after the header block) and reports what stayed.
size_t feedAll(RequestParser& parser, const std::string& text) {
  size_t used = 0;
  while (used < text.size() && !parser.complete() && !parser.failed()) {
    const size_t n = parser.feed(std::string_view(text).substr(used));
    if (n == 0 && !parser.headersComplete()) break;
    used += n;
  }
  return used;
}

// The same, one byte at a time: the result must not depend on how the bytes arrive.
size_t feedBytewise(RequestParser& parser, const std::string& text) {
  size_t used = 0;
  while (used < text.size() && !parser.complete() && !parser.failed()) {
    used += parser.feed(std::string_view(text).substr(used, 1));
  }
  return used;
}

int errorOf(const std::string& text, ParserLimits limits = {}) {
  RequestParser whole(limits);
  feedAll(whole, text);
  RequestParser bytewise(limits);
  feedBytewise(bytewise, text);
  EXPECT_EQ(whole.failed(), bytewise.failed()) << text;
  EXPECT_EQ(whole.errorStatus(), bytewise.errorStatus()) << text;
  return whole.failed() ? whole.errorStatus() : 0;
}

TEST(RequestParserTest, AGetWithoutBodyIsCompleteAtItsHeaders) {
  for (auto feed : {feedAll, feedBytewise}) {
    RequestParser p;
    const std::string text =
        "GET /fhir/Patient?name=x HTTP/1.1\r\nHost: gw\r\nX-Request-Id:  abc \r\n\r\nNEXT";
    const size_t used = feed(p, text);
    ASSERT_TRUE(p.complete()) << p.errorMessage();
    EXPECT_EQ(used, text.size() - 4);  // the next request's bytes are not taken
    EXPECT_EQ(p.request().method, "GET");
    EXPECT_EQ(p.request().target, "/fhir/Patient?name=x");
    ASSERT_NE(p.request().header("x-request-id"), nullptr);
    EXPECT_EQ(*p.request().header("x-request-id"), "abc");
    EXPECT_TRUE(p.request().keepAlive);
    EXPECT_FALSE(p.expectsBody());
  }
}

TEST(RequestParserTest, OptionsAndHeadWithoutLengthAreNotWaitedOn) {
  for (const char* method : {"OPTIONS", "HEAD", "DELETE"}) {
    RequestParser p;
    feedAll(p, std::string(method) + " /fhir/Patient HTTP/1.1\r\nHost: gw\r\n\r\n");
    EXPECT_TRUE(p.complete()) << method;
  }
  RequestParser star;
  feedAll(star, "OPTIONS * HTTP/1.1\r\nHost: gw\r\n\r\n");
  EXPECT_TRUE(star.complete());
  EXPECT_EQ(errorOf("GET * HTTP/1.1\r\nHost: gw\r\n\r\n"), 400);
}

TEST(RequestParserTest, TheParserPausesAfterTheHeadersSoTheServerCanAnswerFirst) {
  RequestParser p;
  const std::string head =
      "POST /fhir HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  const size_t used = p.feed(head + "hello");
  EXPECT_EQ(used, head.size());
  EXPECT_TRUE(p.headersComplete());
  EXPECT_FALSE(p.complete());
  EXPECT_TRUE(p.request().expectContinue);
  EXPECT_TRUE(p.expectsBody());
  EXPECT_EQ(p.feed("hello"), 5u);
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.request().body, "hello");
}

TEST(RequestParserTest, ChunkedBodiesAreJoinedAndTrailersChecked) {
  const std::string text =
      "POST /fhir HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: Chunked\r\n\r\n"
      "5\r\nhello\r\n6;name=value\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (auto feed : {feedAll, feedBytewise}) {
    RequestParser p;
    EXPECT_EQ(feed(p, text), text.size());
    ASSERT_TRUE(p.complete()) << p.errorMessage();
    EXPECT_EQ(p.request().body, "hello world");
    EXPECT_EQ(p.request().header("x-trailer"), nullptr);  // trailers are dropped
  }
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\nhello\r\n0\r\n\r\n"),
            400);  // data longer than its size
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "zz\r\n"),
            400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "1000000000000000\r\n"),
            400);  // would overflow
}

TEST(RequestParserTest, SmugglingAmbiguitiesAreRefused) {
  // Both framings: a front that honours the other one would see a different second request.
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n"
                    "Content-Length: 4\r\n\r\n"),
            400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4, 4\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: +4\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length : 4\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            400);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(errorOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  // obs-fold, bare LF, CR without LF, control characters.
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: gw\r\nX-A: a\r\n b\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\nHost: gw\n\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: gw\rX: y\r\n\r\n"), 400);
  constexpr char kNul[] = "GET / HTTP/1.1\r\nHost: gw\r\nX: a\0b\r\n\r\n";
  EXPECT_EQ(errorOf(std::string(kNul, sizeof kNul - 1)), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
}

TEST(RequestParserTest, MalformedRequestLines) {
  EXPECT_EQ(errorOf("GET\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET /\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET  / HTTP/1.1\r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1 \r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("G(T / HTTP/1.1\r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET /a\x7f HTTP/1.1\r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET relative HTTP/1.1\r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/2.0\r\nHost: gw\r\n\r\n"), 505);
  EXPECT_EQ(errorOf("GET / HTTPS/1.1\r\nHost: gw\r\n\r\n"), 400);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: gw\r\nExpect: magic\r\n\r\n"), 417);
}

TEST(RequestParserTest, AbsoluteFormKeepsOnlyThePath) {
  RequestParser p;
  feedAll(p, "GET http://evil.example/fhir/metadata?x=1 HTTP/1.1\r\nHost: gw\r\n\r\n");
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.request().target, "/fhir/metadata?x=1");
  RequestParser bare;
  feedAll(bare, "GET https://gw HTTP/1.1\r\nHost: gw\r\n\r\n");
  ASSERT_TRUE(bare.complete());
  EXPECT_EQ(bare.request().target, "/");
}

TEST(RequestParserTest, LimitsAreAnsweredWithTheirOwnStatus) {
  ParserLimits limits;
  limits.maxRequestLineBytes = 64;
  limits.maxHeaderBytes = 128;
  limits.maxHeaderCount = 3;
  limits.maxBodyBytes = 10;
  EXPECT_EQ(errorOf("GET /" + std::string(100, 'a') + " HTTP/1.1\r\n", limits), 414);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: gw\r\nX: " + std::string(200, 'b') + "\r\n", limits),
            431);
  EXPECT_EQ(errorOf("GET / HTTP/1.1\r\nHost: gw\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
  // A declared body over the limit is refused at the header block, before any of it is read.
  RequestParser declared(limits);
  declared.feed("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(declared.errorStatus(), 413);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
                    limits),
            413);
  EXPECT_EQ(errorOf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 99999999999999999999\r\n\r\n",
                    limits),
            400);
}

TEST(RequestParserTest, ConnectionHandlingAndKeptAliveRequests) {
  RequestParser p;
  const std::string first = "POST /a HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi";
  const std::string second = "GET /b HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n";
  const std::string both = "\r\n" + first + second;  // a stray CRLF before a request is allowed
  size_t used = feedAll(p, both);
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.request().body, "hi");
  EXPECT_TRUE(p.request().keepAlive);
  p.reset();
  EXPECT_FALSE(p.started());
  used += feedAll(p, both.substr(used));
  ASSERT_TRUE(p.complete());
  EXPECT_EQ(p.request().target, "/b");
  EXPECT_FALSE(p.request().keepAlive);
  EXPECT_EQ(used, both.size());

  RequestParser old;
  feedAll(old, "GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(old.complete());
  EXPECT_FALSE(old.request().keepAlive);
  RequestParser oldKept;
  feedAll(oldKept, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  EXPECT_TRUE(oldKept.request().keepAlive);
}

TEST(RequestParserTest, StartedTellsAnIdleConnectionFromAPartialRequest) {
  RequestParser p;
  p.feed("\r\n");
  EXPECT_FALSE(p.started());
  p.feed("GE");
  EXPECT_TRUE(p.started());
  EXPECT_FALSE(p.headersComplete());
}

}  // namespace
}  // namespace brygga::http
