#include "gateway/http/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace brygga::http {

RateLimiter::RateLimiter(Limit limit, size_t maxKeys)
    : limit_{limit.perSecond, std::max(1.0, limit.burst)}, maxKeys_(maxKeys) {}

double RateLimiter::refilled(const Bucket& bucket, int64_t nowMs) const {
  const double elapsed = static_cast<double>(std::max<int64_t>(0, nowMs - bucket.updatedMs));
  return std::min(limit_.burst, bucket.tokens + elapsed * limit_.perSecond / 1000.0);
}

void RateLimiter::forgetFullBuckets(int64_t nowMs) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = refilled(it->second, nowMs) >= limit_.burst ? buckets_.erase(it) : std::next(it);
  }
}

int64_t RateLimiter::take(const std::string& key, int64_t nowMs) {
  if (!enabled()) return 0;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= maxKeys_) {
      forgetFullBuckets(nowMs);
      if (buckets_.size() >= maxKeys_) return 1;
    }
    it = buckets_.emplace(key, Bucket{limit_.burst, nowMs}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = refilled(bucket, nowMs);
  bucket.updatedMs = nowMs;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  const double seconds = (1.0 - bucket.tokens) / limit_.perSecond;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(seconds)));
}

size_t RateLimiter::trackedKeys() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace brygga::http
