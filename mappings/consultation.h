#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "mappings/enrollment_forward.h"
#include "mappings/routing_table.h"
#include "mappings/service_hours.h"

// Consultation and acute-visit requests (flow 2): a Task (code fulfill, focus a ServiceRequest)
// from a municipal nurse, routed to the patient's responsible service point. Outside service hours
// the request is not passed on: the Task is kept as rejected with a status reason, and the answer
// carries an OperationOutcome naming where to turn instead. Pure; thread-safe.
namespace brygga::mappings {

// A Task that asks for something new (status draft, requested or ready), as opposed to an update
// of one already under way; only those are checked against the service hours.
bool isNewRequest(const rapidjson::Value& task);

// Task.owner := the service point (logical reference by HSA-id).
void stampOwner(rapidjson::Value& task, rapidjson::Document::AllocatorType& alloc,
                const ServicePoint& servicePoint);
// ServiceRequest.performer := [the service point].
void stampPerformer(rapidjson::Value& serviceRequest, rapidjson::Document::AllocatorType& alloc,
                    const ServicePoint& servicePoint);
// status := rejected, statusReason := the verdict (code and text), lastModified := now.
void rejectTask(rapidjson::Value& task, rapidjson::Document::AllocatorType& alloc,
                const HoursVerdict& verdict, int64_t nowMs);
// The OperationOutcome answered with a request rejected out of hours.
std::string outOfHoursOutcome(const HoursVerdict& verdict, const ServicePoint& servicePoint);

// The transaction Bundle for the service point's destination: ServiceRequests and Tasks as
// conditional updates on their identifiers, the patient by a conditional reference, the
// requester by HSA-id.
core::StatusOr<std::string> buildConsultationForward(const std::vector<StoredResource>& resources,
                                                     const FlowContext& context);

}  // namespace brygga::mappings
