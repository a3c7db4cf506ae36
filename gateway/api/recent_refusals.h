#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

// The requests the HTTP layer refused before an endpoint saw them (no such endpoint, a method the
// path does not serve, a body over the limit, no valid credentials ...), for the console. Kept in
// memory only, the newest `capacity`: an anonymous request writes nothing durable (issue 18), and
// a process restarted starts with an empty list. PHI-free by construction: the route is a
// template (no ids, no query) and the reason is the server's own text.
namespace brygga::api {

struct Refusal {
  int64_t atMs = 0;
  int status = 0;
  std::string method;
  std::string route;   // route template, e.g. "/fhir/Patient/{id}"
  std::string reason;  // the server's own diagnostic
  // The sender: the client and its tenant when it was identified, always its source address.
  std::string client;
  std::string tenant;
  std::string source;
};

// Thread-safe.
class RecentRefusals {
 public:
  static constexpr size_t kDefaultCapacity = 200;
  explicit RecentRefusals(size_t capacity = kDefaultCapacity);

  void add(Refusal refusal);
  // Newest first, at most `limit`.
  std::vector<Refusal> newest(size_t limit) const;
  // Refusals noted since the process started (also those no longer kept).
  int64_t total() const;
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Refusal> kept_;
  int64_t total_ = 0;
};

}  // namespace brygga::api
