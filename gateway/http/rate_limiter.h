#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace brygga::http {

// A token bucket per key (a source address, a client id): `perSecond` tokens a second, at most
// `burst` saved up. Time is passed in (monotonic milliseconds), so tests move it by hand.
//
// Memory is bounded: buckets that have filled up again are forgotten (a new one starts full, so
// forgetting changes nothing), and while `maxKeys` buckets are still partly used a new key is
// refused: under an attack from that many addresses, new sources wait rather than the table grow.
// Thread-safe.
class RateLimiter {
 public:
  struct Limit {
    double perSecond = 0;  // 0: no limit
    double burst = 0;      // at least 1 when perSecond > 0
  };

  explicit RateLimiter(Limit limit, size_t maxKeys = 100000);

  bool enabled() const { return limit_.perSecond > 0; }
  // Takes a token for `key`. 0 when there was one; otherwise the whole seconds (at least 1) until
  // there will be, for Retry-After.
  int64_t take(const std::string& key, int64_t nowMs);
  size_t trackedKeys() const;

 private:
  struct Bucket {
    double tokens = 0;
    int64_t updatedMs = 0;
  };
  double refilled(const Bucket& bucket, int64_t nowMs) const;
  void forgetFullBuckets(int64_t nowMs);

  const Limit limit_;
  const size_t maxKeys_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace brygga::http
