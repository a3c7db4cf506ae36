#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Prometheus-style metrics: counters, gauges and histograms with labels, exposed in the text
// exposition format 0.0.4. Recording is lock-free (atomics); only the first use of a label
// combination takes a lock to create its series, so hot paths should keep the reference that
// with() returns when their labels are fixed.
namespace brygga::metrics {

class Counter {
 public:
  void inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds (le), ascending; an implicit +Inf bucket follows the last.
class Histogram {
 public:
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    uint64_t count = 0;
    double sum = 0;
  };
  // Counts are read bucket by bucket, so an observation racing the read may be missing from
  // the sum or the buckets, but the buckets are cumulative and +Inf equals count.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return *bounds_; }

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_->size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, from 1 ms to 30 s.
const std::vector<double>& defaultLatencyBuckets();

enum class Type { kCounter, kGauge, kHistogram };

// One metric name with its label names; a series per combination of label values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labelNames,
         std::function<std::unique_ptr<T>()> make)
      : name_(std::move(name)),
        help_(std::move(help)),
        labelNames_(std::move(labelNames)),
        make_(std::move(make)) {}

  // The series with these label values (in the order of the label names; missing values are
  // empty, extra ones ignored). The reference stays valid as long as the family.
  T& with(std::initializer_list<std::string_view> values) {
    return with(values.begin(), values.size());
  }
  T& with(const std::vector<std::string>& values) {
    std::vector<std::string_view> views(values.begin(), values.end());
    return with(views.data(), views.size());
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }

  // Calls f(labelValues, series) for each series, ordered by label values.
  template <typename F>
  void forEach(F&& f) const {
    std::shared_lock lock(mutex_);
    for (const auto& [key, series] : series_) f(key, *series);
  }

 private:
  struct KeyLess {
    using is_transparent = void;
    struct View {
      const std::string_view* data;
      size_t size;
    };
    template <typename A, typename B>
    static bool less(const A& a, size_t na, const B& b, size_t nb) {
      for (size_t i = 0; i < na && i < nb; ++i) {
        const std::string_view x(a[i]);
        const std::string_view y(b[i]);
        if (x != y) return x < y;
      }
      return na < nb;
    }
    bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const {
      return less(a, a.size(), b, b.size());
    }
    bool operator()(const std::vector<std::string>& a, const View& b) const {
      return less(a, a.size(), b.data, b.size);
    }
    bool operator()(const View& a, const std::vector<std::string>& b) const {
      return less(a.data, a.size, b, b.size());
    }
  };

  T& with(const std::string_view* values, size_t n) {
    // Normalise to exactly one value per label name without allocating on the lookup path.
    const size_t want = labelNames_.size();
    std::string_view padded[8];
    const std::string_view* key = values;
    std::vector<std::string_view> spill;
    if (n != want) {
      std::string_view* out = padded;
      if (want > 8) {
        spill.resize(want);
        out = spill.data();
      }
      for (size_t i = 0; i < want; ++i) out[i] = i < n ? values[i] : std::string_view();
      key = out;
    }
    const typename KeyLess::View view{key, want};
    {
      std::shared_lock lock(mutex_);
      auto it = series_.find(view);
      if (it != series_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    auto it = series_.find(view);
    if (it != series_.end()) return *it->second;
    std::vector<std::string> owned(key, key + want);
    return *series_.emplace(std::move(owned), make_()).first->second;
  }

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labelNames_;
  const std::function<std::unique_ptr<T>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>, KeyLess> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// What a collector reports at scrape time: values computed then (queue depth from the store,
// the audit log's size), not kept between scrapes.
class ScrapeSink {
 public:
  using LabelPairs = std::vector<std::pair<std::string, std::string>>;
  void gauge(std::string_view name, std::string_view help, LabelPairs labels, double value);
  void counter(std::string_view name, std::string_view help, LabelPairs labels, double value);

  struct Sample {
    LabelPairs labels;
    double value = 0;
  };
  struct Collected {
    Type type = Type::kGauge;
    std::string help;
    std::vector<Sample> samples;
  };
  const std::map<std::string, Collected>& families() const { return families_; }

 private:
  void add(Type type, std::string_view name, std::string_view help, LabelPairs labels,
           double value);
  std::map<std::string, Collected> families_;
};

// Thread-safe. Families live as long as the registry; registering a name again returns the
// existing family when its type matches (a different type gets a family that is not exposed,
// so a mistake never produces an invalid exposition).
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterFamily& counter(const std::string& name, const std::string& help,
                         std::vector<std::string> labelNames = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     std::vector<std::string> labelNames = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             std::vector<std::string> labelNames,
                             std::vector<double> bounds = defaultLatencyBuckets());

  using Collector = std::function<void(ScrapeSink&)>;
  void addCollector(Collector collector);

  // Every family in the text exposition format 0.0.4 (Content-Type
  // "text/plain; version=0.0.4; charset=utf-8"), sorted by name; runs the collectors first.
  std::string exposition() const;

 private:
  struct Entry {
    Type type;
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  Entry& entry(const std::string& name, Type type);

  mutable std::mutex mutex_;
  std::map<std::string, Entry> families_;
  std::vector<Entry> detached_;  // name clashes of a different type; never exposed
  std::vector<Collector> collectors_;
};

// The Content-Type of exposition().
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Text-format helpers, exposed for tests: a sample value (integers without a fraction, +Inf,
// -Inf, NaN), a label value escaped (\\, \", \n), a HELP text escaped (\\, \n), a metric or
// label name with every character outside [a-zA-Z0-9_:] (labels: [a-zA-Z0-9_]) replaced by '_'.
std::string formatValue(double v);
std::string escapeLabelValue(std::string_view v);
std::string escapeHelp(std::string_view v);
std::string sanitizeName(std::string_view name, bool label);
// a-z or A-Z, whatever the locale (metrics links nothing of ours, so not core/text.h).
constexpr bool isAsciiLetter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace brygga::metrics
