#include "gateway/http/failed_logins.h"

#include <algorithm>

namespace brygga::http {

FailedLoginCounter::FailedLoginCounter(int64_t windowMs, size_t maxSources)
    : windowMs_(windowMs), maxSources_(maxSources) {}

bool FailedLoginCounter::add(const std::string& source, const std::string& serverAddress,
                             const std::string& credential, bool handshake, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  const std::string& key =
      open_.count(source) != 0 || open_.size() < maxSources_ ? source : std::string("other");
  auto [it, inserted] = open_.try_emplace(key);
  FailedLogins& logins = it->second;
  if (inserted) {
    logins.source = key;
    logins.serverAddress = serverAddress;
    logins.firstMs = nowMs;
  }
  ++logins.count;
  logins.lastMs = nowMs;
  logins.handshake = logins.handshake || handshake;
  auto& seen = logins.credentials;
  if (seen.size() < FailedLogins::kMaxCredentials &&
      std::find(seen.begin(), seen.end(), credential) == seen.end()) {
    seen.push_back(credential);
  }
  return inserted;
}

std::vector<FailedLogins> FailedLoginCounter::takeDue(int64_t nowMs) {
  std::vector<FailedLogins> due;
  std::lock_guard lock(mutex_);
  for (auto it = open_.begin(); it != open_.end();) {
    if (nowMs - it->second.firstMs >= windowMs_) {
      due.push_back(std::move(it->second));
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

std::vector<FailedLogins> FailedLoginCounter::takeAll() {
  std::vector<FailedLogins> all;
  std::lock_guard lock(mutex_);
  for (auto& [_, logins] : open_) all.push_back(std::move(logins));
  open_.clear();
  return all;
}

}  // namespace brygga::http
