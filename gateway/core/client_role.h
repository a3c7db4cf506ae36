#pragma once

// Who a configured client is, for every decision made by it: the API's access rules (by role and
// tenant), the flows' routing (which side wrote), the audit record. Configured per client in
// http::ClientConfig; carried by api::Caller and flows::FlowCaller.
namespace brygga::core {

// kFollowUp: service management (issue 13), which reads the follow-up figures and never patient
// data.
enum class ClientRole { kMunicipal, kRegional, kIntegration, kFollowUp };
const char* toString(ClientRole role);

}  // namespace brygga::core
