#pragma once

namespace brygga::core {

// The reason phrase of an HTTP status code (RFC 9110 section 15: 201 -> "Created"), for status
// lines and for the "201 Created" of a Bundle entry's response; "Status" for a code without one.
const char* httpReasonPhrase(int status);

}  // namespace brygga::core
