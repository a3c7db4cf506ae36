#include "gateway/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace brygga::metrics {

namespace {

std::vector<double> sortedBounds(std::vector<double> bounds) {
  bounds.erase(std::remove_if(bounds.begin(), bounds.end(),
                              [](double b) { return std::isnan(b) || std::isinf(b); }),
               bounds.end());
  std::sort(bounds.begin(), bounds.end());
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

void appendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extraName = {},
                  std::string_view extraValue = {}) {
  if (names.empty() && extraName.empty()) return;
  out += '{';
  bool first = true;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escapeLabelValue(i < values.size() ? values[i] : std::string());
    out += '"';
  }
  if (!extraName.empty()) {
    if (!first) out += ',';
    out += extraName;
    out += "=\"";
    out += extraValue;
    out += '"';
  }
  out += '}';
}

const char* typeName(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

void appendHeader(std::string& out, const std::string& name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += escapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += typeName(type);
  out += '\n';
}

}  // namespace

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_->size() + 1)) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  const std::vector<double>& b = *bounds_;
  // le is inclusive: the first bound >= v. A NaN lands in +Inf.
  size_t i = static_cast<size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  if (std::isnan(v)) i = b.size();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  if (!std::isnan(v)) sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_->size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

const std::vector<double>& defaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                               0.25,  0.5,    1,     2.5,  5,     10,   30};
  return kBuckets;
}

void ScrapeSink::gauge(std::string_view name, std::string_view help, LabelPairs labels,
                       double value) {
  add(Type::kGauge, name, help, std::move(labels), value);
}

void ScrapeSink::counter(std::string_view name, std::string_view help, LabelPairs labels,
                         double value) {
  add(Type::kCounter, name, help, std::move(labels), value);
}

void ScrapeSink::add(Type type, std::string_view name, std::string_view help, LabelPairs labels,
                     double value) {
  const std::string clean = sanitizeName(name, false);
  auto [it, inserted] = families_.try_emplace(clean);
  if (inserted) {
    it->second.type = type;
    it->second.help = std::string(help);
  } else if (it->second.type != type) {
    return;  // one name, one type: a clash is dropped rather than exposed wrongly
  }
  for (auto& [k, v] : labels) k = sanitizeName(k, true);
  it->second.samples.push_back({std::move(labels), value});
}

Registry::Entry& Registry::entry(const std::string& rawName, Type type) {
  const std::string name = sanitizeName(rawName, false);
  auto it = families_.find(name);
  if (it != families_.end()) {
    if (it->second.type == type) return it->second;
    detached_.push_back(Entry{type, nullptr, nullptr, nullptr});
    return detached_.back();
  }
  return families_.emplace(name, Entry{type, nullptr, nullptr, nullptr}).first->second;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> labelNames) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kCounter);
  if (!e.counter) {
    for (auto& l : labelNames) l = sanitizeName(l, true);
    e.counter =
        std::make_unique<CounterFamily>(sanitizeName(name, false), help, std::move(labelNames),
                                        [] { return std::make_unique<Counter>(); });
  }
  return *e.counter;
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> labelNames) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kGauge);
  if (!e.gauge) {
    for (auto& l : labelNames) l = sanitizeName(l, true);
    e.gauge = std::make_unique<GaugeFamily>(sanitizeName(name, false), help, std::move(labelNames),
                                            [] { return std::make_unique<Gauge>(); });
  }
  return *e.gauge;
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> labelNames,
                                     std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  Entry& e = entry(name, Type::kHistogram);
  if (!e.histogram) {
    // "le" is the bucket label; a family may not use it.
    labelNames.erase(std::remove(labelNames.begin(), labelNames.end(), "le"), labelNames.end());
    for (auto& l : labelNames) l = sanitizeName(l, true);
    auto shared = std::make_shared<const std::vector<double>>(sortedBounds(std::move(bounds)));
    e.histogram =
        std::make_unique<HistogramFamily>(sanitizeName(name, false), help, std::move(labelNames),
                                          [shared] { return std::make_unique<Histogram>(shared); });
  }
  return *e.histogram;
}

void Registry::addCollector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::exposition() const {
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  // Collectors may query the store; they run without the registry's lock.
  ScrapeSink sink;
  for (const auto& c : collectors) c(sink);

  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mutex_);
  std::set<std::string> names;
  for (const auto& [name, _] : families_) names.insert(name);
  for (const auto& [name, _] : sink.families()) names.insert(name);

  for (const std::string& name : names) {
    auto registered = families_.find(name);
    if (registered != families_.end()) {
      const Entry& e = registered->second;
      if (e.counter) {
        appendHeader(out, name, e.counter->help(), Type::kCounter);
        e.counter->forEach([&](const std::vector<std::string>& values, const Counter& c) {
          out += name;
          appendLabels(out, e.counter->labelNames(), values);
          out += ' ';
          out += std::to_string(c.value());
          out += '\n';
        });
      } else if (e.gauge) {
        appendHeader(out, name, e.gauge->help(), Type::kGauge);
        e.gauge->forEach([&](const std::vector<std::string>& values, const Gauge& g) {
          out += name;
          appendLabels(out, e.gauge->labelNames(), values);
          out += ' ';
          out += formatValue(g.value());
          out += '\n';
        });
      } else if (e.histogram) {
        appendHeader(out, name, e.histogram->help(), Type::kHistogram);
        const auto& labelNames = e.histogram->labelNames();
        e.histogram->forEach([&](const std::vector<std::string>& values, const Histogram& h) {
          const Histogram::Snapshot s = h.snapshot();
          const auto& bounds = h.bounds();
          for (size_t i = 0; i <= bounds.size(); ++i) {
            out += name;
            out += "_bucket";
            appendLabels(out, labelNames, values, "le",
                         i < bounds.size() ? formatValue(bounds[i]) : "+Inf");
            out += ' ';
            out += std::to_string(s.cumulative[i]);
            out += '\n';
          }
          out += name;
          out += "_sum";
          appendLabels(out, labelNames, values);
          out += ' ';
          out += formatValue(s.sum);
          out += '\n';
          out += name;
          out += "_count";
          appendLabels(out, labelNames, values);
          out += ' ';
          out += std::to_string(s.count);
          out += '\n';
        });
      }
      continue;  // a registered family wins over a collected one of the same name
    }
    const ScrapeSink::Collected& c = sink.families().at(name);
    appendHeader(out, name, c.help, c.type);
    for (const auto& sample : c.samples) {
      out += name;
      if (!sample.labels.empty()) {
        out += '{';
        for (size_t i = 0; i < sample.labels.size(); ++i) {
          if (i > 0) out += ',';
          out += sample.labels[i].first;
          out += "=\"";
          out += escapeLabelValue(sample.labels[i].second);
          out += '"';
        }
        out += '}';
      }
      out += ' ';
      out += formatValue(sample.value);
      out += '\n';
    }
  }
  return out;
}

std::string formatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string sanitizeName(std::string_view name, bool label) {
  std::string out(name);
  if (out.empty()) return "_";
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    const bool ok =
        isAsciiLetter(c) || c == '_' || (!label && c == ':') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) out[i] = '_';
  }
  return out;
}

}  // namespace brygga::metrics
