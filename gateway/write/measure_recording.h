#pragma once

#include <cstdint>
#include <string>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

// The follow-up measures' facts of what a write unit wrote (issue 13, gateway/measures): read from
// each written resource and put in place of its earlier facts, in the same unit.
namespace brygga::write {

// `resource`: the resource as written (null for a delete). Types without facts cost nothing.
core::Status recordMeasureFacts(store::StoreTransaction& txn, const store::ResourceRecord& record,
                                const rapidjson::Value* resource);

}  // namespace brygga::write
