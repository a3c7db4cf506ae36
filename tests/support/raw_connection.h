#pragma once

#include <memory>
#include <string>

#include "tests/support/test_support.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

// A client connection whose every byte and moment the test decides: half a header, a pipelined
// pair of requests, an old TLS version, a certificate with the wrong key. Blocking, with a
// receive timeout so that a server that does not answer fails the test instead of hanging it.
namespace brygga::testing {

struct TlsClientOptions {
  std::string caFile;                 // to verify the server; empty: no verification
  std::shared_ptr<X509> certificate;  // the client certificate, or null
  std::shared_ptr<EVP_PKEY> key;
  int minVersion = 0;  // TLS1_1_VERSION ...; 0: the library's default
  int maxVersion = 0;
  std::string cipherList;           // TLS 1.2 suites; empty: the library's default
  bool lowerSecurityLevel = false;  // allow TLS 1.1 on the client side at all
};

class RawConnection {
 public:
  // Connects to `toAddress`:port, from `fromAddress` (e.g. "127.0.0.2") when given. Null when
  // the connection is refused.
  static std::unique_ptr<RawConnection> open(int port, const std::string& fromAddress = {},
                                             int timeoutMs = 5000,
                                             const std::string& toAddress = "127.0.0.1");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // TLS over the open connection. False when the handshake failed (with TLS 1.3 a refused
  // client certificate shows only when the server's first answer is read).
  bool startTls(const TlsClientOptions& options);
  std::string tlsVersion() const;  // "TLSv1.3"
  std::string tlsCipher() const;

  bool send(const std::string& bytes);
  // Half-closes the connection (plain TCP): the server reads the end of the input after what
  // was sent, and can still answer.
  bool finishSending();
  // One response: status line, headers, a Content-Length body (none after HEAD, 204 and 1xx).
  // status 0 when the connection closed or the timeout passed first.
  HttpAnswer readResponse(bool head = false);
  // What follows, up to and including the next `marker` (an event of a streamed answer after
  // readResponse: "\n\n"); empty when the connection closed or the timeout passed first.
  std::string readUntil(const std::string& marker);
  // True when the server closes the connection (EOF or reset) within `timeoutMs`; anything the
  // server still sends first is read and dropped.
  bool closedWithin(int timeoutMs);

 private:
  RawConnection() = default;
  int readSome(char* buffer, int size);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffered_;
};

// A GET of `path` with the given extra header lines ("Name: value\r\n"), HTTP/1.1, Host: test.
std::string getRequest(const std::string& path, const std::string& headers = {},
                       const std::string& method = "GET");

}  // namespace brygga::testing
