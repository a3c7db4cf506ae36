// The Prometheus alert rules and the Grafana dashboard in ops/ (issue 15), checked against what a
// running gateway exposes at /metrics after real traffic: every metric they name exists with the
// labels they group by or print, so a renamed metric or label fails here and not on a night
// when an alert should have fired.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/exposition_parser.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_personnummer.h"
#include "tests/support/token_endpoint.h"

namespace brygga::testing {
namespace {

std::string readSource(const std::string& relative) {
  std::ifstream in(std::string(BRYGGA_SOURCE_DIR) + "/" + relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What /metrics offers: each family with the label names its samples carry.
class Offered {
 public:
  explicit Offered(const Exposition& exposition) {
    for (const auto& [family, type] : exposition.types) {
      families_.insert(family);
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) families_.insert(family + suffix);
      }
    }
    for (const auto& sample : exposition.samples) {
      for (const auto& [label, value] : sample.labels) labels_[sample.name].insert(label);
    }
  }
  bool has(const std::string& metric) const { return families_.count(metric) > 0; }
  bool hasLabel(const std::string& metric, const std::string& label) const {
    auto it = labels_.find(metric);
    return it != labels_.end() && it->second.count(label) > 0;
  }

 private:
  std::set<std::string> families_;
  std::map<std::string, std::set<std::string>> labels_;
};

// The brygga_ metrics an expression names.
std::vector<std::string> metricsIn(const std::string& expr) {
  static const std::regex kMetric("brygga_[a-z0-9_]+");
  std::vector<std::string> out;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kMetric);
       it != std::sregex_iterator(); ++it) {
    out.push_back(it->str());
  }
  return out;
}

// The label names an expression groups by (`by (a, b)`) or a text prints (`{{ $labels.a }}`,
// `{{a}}` in a legend), except `le` (every histogram has it) and Prometheus's own `instance`.
std::set<std::string> labelsUsed(const std::string& text) {
  std::set<std::string> out;
  static const std::regex kBy(R"(by \(([a-z_, ]+)\))");
  static const std::regex kPrinted(R"(\{\{ ?\$?(?:labels\.)?([a-z_]+) ?\}\})");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kBy); it != std::sregex_iterator();
       ++it) {
    std::stringstream names((*it)[1].str());
    std::string name;
    while (std::getline(names, name, ',')) {
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      out.insert(name);
    }
  }
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kPrinted);
       it != std::sregex_iterator(); ++it) {
    out.insert((*it)[1].str());
  }
  for (const char* known : {"le", "instance", "value"}) out.erase(known);
  return out;
}

// Every metric of `expr` exists, and every label in `labels` is carried by one of them.
void expectOffered(const Offered& offered, const std::string& what, const std::string& expr,
                   const std::set<std::string>& labels) {
  const std::vector<std::string> metrics = metricsIn(expr);
  for (const auto& metric : metrics) EXPECT_TRUE(offered.has(metric)) << what << ": " << metric;
  for (const auto& label : labels) {
    bool carried = false;
    for (const auto& metric : metrics) carried |= offered.hasLabel(metric, label);
    EXPECT_TRUE(carried) << what << ": no metric of '" << expr << "' carries the label " << label;
  }
}

// A gateway whose regional destination takes SMART backend tokens (so the token metrics exist)
// and that signs audit checkpoints often (so the checkpoint's age does).
class MonitoringTest : public ::testing::Test {
 protected:
  MonitoringTest() : harness_(&peer_) {
    const std::string pem = makeEcKeyPem("P-384");
    writeKeyFile(temp_.file("brygga.key"), pem);
    endpoint_.addAssertionClient("brygga", publicKeyPemOf(pem), "brygga-2026", "ES384");
    harness_.config().destinations["regional"].auth =
        smartBackendAuth(endpoint_.url(), temp_.file("brygga.key"), "brygga-2026", "ES384");
    harness_.config().audit.checkpointIntervalMs = 50;
    harness_.start();
  }

  Exposition scrape() {
    auto scraped = httpCall(
        "GET", "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) + "/metrics", {},
        {{"Authorization", "Bearer " + tokenOf("integration")}});
    EXPECT_EQ(scraped.status, 200);
    Exposition exposition = parseExposition(scraped.body);
    EXPECT_TRUE(exposition.ok) << exposition.error;
    return exposition;
  }

  // /metrics after an enrollment delivered to the regional EHR, an invalid resource, a 404 and a
  // signed checkpoint.
  Offered offeredAfterTraffic() {
    EXPECT_FALSE(harness_.enroll("kungsbacka", "19121212-1212").empty());
    EXPECT_EQ(
        harness_
            .call("kungsbacka", "POST", "/Patient", R"({"resourceType":"Patient","gender":"x"})")
            .status,
        422);
    EXPECT_EQ(harness_.call("kungsbacka", "GET", "/Patient/nobody").status, 404);
    EXPECT_GE(peer_.waitForRequests(1), 1u);
    EXPECT_TRUE(
        waitUntil([&] { return scrape().types.count("brygga_audit_checkpoint_age_seconds") > 0; }));
    return Offered(scrape());
  }

  TempDir temp_;
  TestTokenEndpoint endpoint_;
  TestPeer peer_;
  GatewayHarness harness_;
};

TEST_F(MonitoringTest, EveryAlertRuleNamesMetricsAndLabelsTheGatewayExposes) {
  const Offered offered = offeredAfterTraffic();
  const std::string rules = readSource("ops/prometheus/brygga-alerts.yml");
  ASSERT_FALSE(rules.empty());
  // One rule per "- alert:" block: its expr, severity and summary.
  std::stringstream lines(rules);
  std::string line;
  struct Rule {
    std::string name, expr, severity, summary;
  };
  std::vector<Rule> parsed;
  const auto valueOf = [](const std::string& l,
                          const std::string& key) -> std::optional<std::string> {
    const size_t at = l.find(key + ": ");
    if (at == std::string::npos || l.find_first_not_of(' ') != at) return std::nullopt;
    std::string v = l.substr(at + key.size() + 2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  };
  while (std::getline(lines, line)) {
    if (auto name = valueOf(line, "- alert")) parsed.push_back({*name, "", "", ""});
    if (parsed.empty()) continue;
    if (auto v = valueOf(line, "expr")) parsed.back().expr = *v;
    if (auto v = valueOf(line, "severity")) parsed.back().severity = *v;
    if (auto v = valueOf(line, "summary")) parsed.back().summary = *v;
  }
  ASSERT_GE(parsed.size(), 10u);
  std::set<std::string> names;
  for (const Rule& rule : parsed) {
    EXPECT_TRUE(names.insert(rule.name).second) << "two rules named " << rule.name;
    EXPECT_FALSE(rule.expr.empty()) << rule.name;
    EXPECT_TRUE(rule.severity == "critical" || rule.severity == "warning" ||
                rule.severity == "info")
        << rule.name << ": severity " << rule.severity;
    EXPECT_FALSE(rule.summary.empty()) << rule.name;
    if (rule.name != "BryggaDown") {
      EXPECT_FALSE(metricsIn(rule.expr).empty()) << rule.name;
    }
    std::set<std::string> labels = labelsUsed(rule.expr);
    for (const auto& l : labelsUsed(rule.summary)) labels.insert(l);
    expectOffered(offered, rule.name, rule.expr, labels);
  }
}

TEST_F(MonitoringTest, EveryDashboardPanelQueriesMetricsAndLabelsTheGatewayExposes) {
  const Offered offered = offeredAfterTraffic();
  rapidjson::Document dashboard;
  dashboard.Parse(readSource("ops/grafana/brygga-dashboard.json").c_str());
  ASSERT_FALSE(dashboard.HasParseError());
  ASSERT_TRUE(dashboard.HasMember("panels") && dashboard["panels"].IsArray());
  EXPECT_STREQ(dashboard["timezone"].GetString(), "Europe/Stockholm");
  int targets = 0;
  std::set<int> ids;
  for (const auto& panel : dashboard["panels"].GetArray()) {
    const std::string title = panel["title"].GetString();
    EXPECT_TRUE(ids.insert(panel["id"].GetInt()).second) << title;
    EXPECT_STREQ(panel["datasource"]["uid"].GetString(), "${datasource}") << title;
    for (const auto& target : panel["targets"].GetArray()) {
      const std::string expr = target["expr"].GetString();
      std::set<std::string> labels = labelsUsed(expr);
      if (target.HasMember("legendFormat")) {
        for (const auto& l : labelsUsed(target["legendFormat"].GetString())) labels.insert(l);
      }
      EXPECT_FALSE(metricsIn(expr).empty()) << title;
      expectOffered(offered, title, expr, labels);
      ++targets;
    }
  }
  EXPECT_GE(targets, 15);
}

}  // namespace
}  // namespace brygga::testing
