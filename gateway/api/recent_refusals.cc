#include "gateway/api/recent_refusals.h"

#include <algorithm>
#include <utility>

namespace brygga::api {

RecentRefusals::RecentRefusals(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void RecentRefusals::add(Refusal refusal) {
  // Bounded whatever a client sends: a reason or a method of any length is cut.
  refusal.method = refusal.method.substr(0, 16);
  refusal.reason = refusal.reason.substr(0, 300);
  std::lock_guard lock(mutex_);
  if (kept_.size() == capacity_) kept_.pop_front();
  kept_.push_back(std::move(refusal));
  ++total_;
}

std::vector<Refusal> RecentRefusals::newest(size_t limit) const {
  std::lock_guard lock(mutex_);
  std::vector<Refusal> out;
  for (auto it = kept_.rbegin(); it != kept_.rend() && out.size() < limit; ++it) {
    out.push_back(*it);
  }
  return out;
}

int64_t RecentRefusals::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace brygga::api
