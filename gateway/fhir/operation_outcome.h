#pragma once

#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace brygga::fhir {

// An OperationOutcome resource for an error Status: its issues when it has any, otherwise one
// issue from the status code and message (code mapped to the FHIR issue-type: 404 → not-found,
// 412 → conflict, 401/403 → security/forbidden, 413 → too-long, ...).
std::string operationOutcomeJson(const core::Status& status);
// An OperationOutcome listing `issues`; with none, a single "information: All OK" issue.
std::string operationOutcomeJson(const std::vector<core::Issue>& issues);
// True when any issue is fatal or error.
bool hasErrors(const std::vector<core::Issue>& issues);

}  // namespace brygga::fhir
