#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/fhir/json.h"

namespace brygga::core {

// Readable failure output for issue lists.
inline void PrintTo(const Issue& issue, std::ostream* os) {
  *os << "{" << toString(issue.severity) << " " << issue.code << " at '" << issue.expression
      << "': " << issue.diagnostics << "}";
}

}  // namespace brygga::core

namespace brygga::fhir::testing {

// Parses JSON the tests wrote themselves; a failure is a broken test, reported with the reason.
inline rapidjson::Document parseTestJson(std::string_view text) {
  auto parsed = parseJson(text);
  EXPECT_TRUE(parsed.isOk()) << parsed.status().toString();
  if (!parsed.isOk()) return rapidjson::Document();
  return std::move(parsed).value();
}

// Matches a core::Issue with the given issue-type code and expression.
inline auto issueAt(const std::string& code, const std::string& expression) {
  return ::testing::AllOf(::testing::Field(&core::Issue::code, code),
                          ::testing::Field(&core::Issue::expression, expression));
}

}  // namespace brygga::fhir::testing
