#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// A small, strict, incremental HTTP/1.1 request parser (RFC 9112) for the gateway's own front.
// It takes bytes as they arrive, in pieces of any size, and never reads beyond the end of one
// request: what follows belongs to the next request on the connection. Anything ambiguous that
// a proxy in front of us might read differently is refused rather than guessed (request
// smuggling): Content-Length together with Transfer-Encoding, a repeated or list-valued
// Content-Length, a transfer coding other than a single `chunked`, obs-fold continuation lines,
// whitespace before a header's colon, bare LF or CR line ends, control characters.
namespace brygga::http {

struct ParserLimits {
  size_t maxRequestLineBytes = 8 * 1024;   // longer: 414
  size_t maxHeaderBytes = 64 * 1024;       // the whole header block (and trailers): 431
  size_t maxHeaderCount = 100;             // 431
  int64_t maxBodyBytes = 8 * 1024 * 1024;  // 413, before the body is read when it is declared
};

struct HttpRequest {
  std::string method;    // as sent (methods are case-sensitive)
  std::string target;    // origin-form "/fhir/Patient?x=y", or "*" (OPTIONS only)
  int minorVersion = 1;  // HTTP/1.x
  // In arrival order; names lower-cased, values without surrounding whitespace.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keepAlive = true;        // HTTP/1.1 unless "Connection: close"; HTTP/1.0 with keep-alive
  bool expectContinue = false;  // "Expect: 100-continue"

  // The first header of that (lower-case) name, or null.
  const std::string* header(std::string_view name) const;
};

class RequestParser {
 public:
  enum class State {
    kRequestLine,
    kHeaders,
    kBody,
    kChunkSize,
    kChunkData,
    kChunkEnd,
    kTrailers,
    kComplete,
    kError
  };

  explicit RequestParser(ParserLimits limits = {});

  // Consumes bytes of `data` and returns how many it took. It stops early once the header block
  // is complete (headersComplete() turns true, so that the caller can answer before a body is
  // sent: 100-continue, 405, 413), at the end of the request (complete()), and at an error.
  size_t feed(std::string_view data);

  State state() const { return state_; }
  bool started() const { return started_; }  // a byte of this request arrived (not just CRLFs)
  bool headersComplete() const { return state_ >= State::kBody && state_ != State::kError; }
  bool complete() const { return state_ == State::kComplete; }
  bool failed() const { return state_ == State::kError; }
  // After failed(): the HTTP status to answer with (400, 413, 414, 417, 431, 501, 505) and why.
  int errorStatus() const { return errorStatus_; }
  const std::string& errorMessage() const { return errorMessage_; }

  // Valid once headersComplete(); the body is whole once complete().
  const HttpRequest& request() const { return request_; }
  HttpRequest takeRequest() { return std::move(request_); }
  // True when a body follows the header block (Content-Length > 0, or chunked).
  bool expectsBody() const { return expectsBody_; }
  int64_t bodyBytesReceived() const { return static_cast<int64_t>(request_.body.size()); }

  // Ready for the next request on the same connection.
  void reset();

 private:
  size_t feedLine(std::string_view data, size_t limit, int tooLongStatus,
                  const char* tooLongMessage, bool& lineDone);
  void fail(int status, std::string message);
  void onRequestLine();
  void onHeaderLine();
  void onHeadersDone();
  void onChunkSizeLine();
  void onTrailerLine();

  ParserLimits limits_;
  State state_ = State::kRequestLine;
  bool started_ = false;
  int emptyLinesSkipped_ = 0;
  std::string line_;        // the line being assembled, without its CRLF
  bool sawCr_ = false;      // the last byte taken was the CR of a line end
  size_t headerBytes_ = 0;  // of the header block (or the trailers) so far
  size_t headerCount_ = 0;
  int64_t remaining_ = 0;  // body or chunk bytes still to come
  bool expectsBody_ = false;
  HttpRequest request_;
  int errorStatus_ = 0;
  std::string errorMessage_;
};

}  // namespace brygga::http
