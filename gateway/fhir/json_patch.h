#pragma once

#include <rapidjson/document.h>

#include "gateway/core/status.h"

namespace brygga::fhir {

// Applies a JSON Patch (RFC 6902: add, remove, replace, move, copy, test; paths are JSON
// Pointers, RFC 6901) to `target`, in order, all or nothing: on an error `target` is left as it
// was. `patch` must be an array of operation objects. Errors are kInvalidArgument for a
// malformed patch (an unknown op, a missing member, a bad pointer) and kUnprocessable for one that
// does not apply to this document (a path that is not there, a failed test), each naming the
// operation by its index.
core::Status applyJsonPatch(rapidjson::Document& target, const rapidjson::Value& patch);

}  // namespace brygga::fhir
