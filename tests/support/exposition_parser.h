#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/core/text.h"

// A strict reader of the Prometheus text exposition format 0.0.4, for tests: it checks what a
// scraper relies on (HELP and TYPE before a family's samples and only once, sample names that
// belong to the declared family, label syntax and escapes, numeric values, histograms with
// cumulative buckets, a +Inf bucket equal to _count) and collects every sample.
namespace brygga::testing {

struct Exposition {
  bool ok = true;
  std::string error;
  std::map<std::string, std::string> types;  // family -> counter|gauge|histogram|...
  std::map<std::string, std::string> help;
  struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
  };
  std::vector<Sample> samples;

  // The value of the sample with exactly these labels; -1 when there is none.
  double value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return -1;
  }
  // The sum over the samples of `name` whose labels include `match`.
  double sum(const std::string& name, const std::map<std::string, std::string>& match = {}) const {
    double total = 0;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) all = false;
      }
      if (all) total += s.value;
    }
    return total;
  }
};

inline Exposition parseExposition(const std::string& text) {
  Exposition out;
  auto fail = [&out](int lineNo, const std::string& why) {
    out.ok = false;
    out.error = "line " + std::to_string(lineNo) + ": " + why;
    return out;
  };
  auto isNameChar = [](char c, bool first) {
    return core::isAsciiAlpha(c) || c == '_' || c == ':' || (!first && core::isAsciiDigit(c));
  };
  if (!text.empty() && text.back() != '\n') return fail(0, "the text must end with a newline");
  std::istringstream in(text);
  std::string line;
  int lineNo = 0;
  std::string current;  // the family whose samples may follow
  std::set<std::string> finished;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::istringstream words(line);
      std::string hash, kind, name;
      words >> hash >> kind >> name;
      if (kind != "HELP" && kind != "TYPE") continue;  // a comment
      if (name.empty()) return fail(lineNo, "HELP/TYPE without a name");
      if (name != current) {
        if (finished.count(name) != 0) return fail(lineNo, name + " appears in two places");
        if (!current.empty()) finished.insert(current);
        current = name;
      }
      std::string rest;
      std::getline(words, rest);
      if (!rest.empty() && rest[0] == ' ') rest.erase(0, 1);
      if (kind == "TYPE") {
        if (out.types.count(name) != 0) return fail(lineNo, "second TYPE for " + name);
        if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" &&
            rest != "untyped") {
          return fail(lineNo, "bad type " + rest);
        }
        out.types[name] = rest;
      } else {
        if (out.help.count(name) != 0) return fail(lineNo, "second HELP for " + name);
        out.help[name] = rest;
      }
      continue;
    }
    Exposition::Sample s;
    size_t i = 0;
    while (i < line.size() && isNameChar(line[i], i == 0)) ++i;
    s.name = line.substr(0, i);
    if (s.name.empty()) return fail(lineNo, "no metric name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t start = i;
        while (i < line.size() && isNameChar(line[i], i == start) && line[i] != ':') ++i;
        std::string label = line.substr(start, i - start);
        if (label.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
          return fail(lineNo, "bad label syntax");
        }
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) return fail(lineNo, "unterminated label value");
          char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) return fail(lineNo, "dangling escape");
            char e = line[i++];
            if (e == 'n') {
              value += '\n';
            } else if (e == '\\' || e == '"') {
              value += e;
            } else {
              return fail(lineNo, "bad escape");
            }
          } else if (c == '\n') {
            return fail(lineNo, "raw newline in a label value");
          } else {
            value += c;
          }
        }
        if (s.labels.count(label) != 0) return fail(lineNo, "repeated label " + label);
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) return fail(lineNo, "unterminated label set");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') return fail(lineNo, "no space before the value");
    std::string valueText = line.substr(i + 1);
    const size_t space = valueText.find(' ');  // an optional timestamp may follow
    if (space != std::string::npos) valueText = valueText.substr(0, space);
    if (valueText == "+Inf") {
      s.value = INFINITY;
    } else if (valueText == "-Inf") {
      s.value = -INFINITY;
    } else if (valueText == "NaN") {
      s.value = NAN;
    } else {
      char* end = nullptr;
      s.value = std::strtod(valueText.c_str(), &end);
      if (valueText.empty() || *end != '\0') return fail(lineNo, "bad value " + valueText);
    }
    // The sample must belong to the family declared last.
    std::string family = s.name;
    if (out.types.count(current) && out.types[current] == "histogram") {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string sf(suffix);
        if (s.name.size() > sf.size() &&
            s.name.compare(s.name.size() - sf.size(), sf.size(), sf) == 0 &&
            s.name.substr(0, s.name.size() - sf.size()) == current) {
          family = current;
        }
      }
      if (s.name == current) return fail(lineNo, "a histogram sample needs a suffix");
      if (s.name == current + "_bucket" && s.labels.count("le") == 0) {
        return fail(lineNo, "a bucket without le");
      }
    }
    if (family != current) return fail(lineNo, s.name + " is not in the family " + current);
    out.samples.push_back(std::move(s));
  }
  // Histograms: cumulative buckets ending in +Inf == _count.
  for (const auto& [name, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> series;
    for (const auto& s : out.samples) {
      if (s.name != name + "_bucket") continue;
      auto labels = s.labels;
      const std::string le = labels["le"];
      labels.erase("le");
      series[labels].push_back(
          {le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr), s.value});
    }
    for (const auto& [labels, buckets] : series) {
      double last = -1;
      double lastLe = -INFINITY;
      for (const auto& [le, count] : buckets) {
        if (le <= lastLe) return fail(0, name + ": buckets not in increasing le order");
        if (count < last) return fail(0, name + ": buckets not cumulative");
        last = count;
        lastLe = le;
      }
      if (!std::isinf(lastLe)) return fail(0, name + ": no +Inf bucket");
      if (out.value(name + "_count", labels) != last) {
        return fail(0, name + ": +Inf bucket differs from _count");
      }
    }
  }
  return out;
}

}  // namespace brygga::testing
