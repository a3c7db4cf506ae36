#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace brygga::core {

// Wall-clock time behind an interface so that tests can move time (retries, retention,
// service hours) without sleeping. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t nowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t startMs) : now_(startMs) {}
  int64_t nowMs() const override { return now_.load(); }
  void advanceMs(int64_t ms) { now_ += ms; }
  void setMs(int64_t ms) { now_ = ms; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace brygga::core
