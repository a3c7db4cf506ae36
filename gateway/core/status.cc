#include "gateway/core/status.h"

#include <cstdio>
#include <cstdlib>

namespace brygga::core {

int httpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kRequestTimeout:
      return 408;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kGone:
      return 410;
    case StatusCode::kPreconditionFailed:
      return 412;
    case StatusCode::kPayloadTooLarge:
      return 413;
    case StatusCode::kUnsupportedMediaType:
      return 415;
    case StatusCode::kUnprocessable:
      return 422;
    case StatusCode::kTooManyRequests:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

const char* toString(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid-argument";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "permission-denied";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kMethodNotAllowed:
      return "method-not-allowed";
    case StatusCode::kRequestTimeout:
      return "request-timeout";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kGone:
      return "gone";
    case StatusCode::kPreconditionFailed:
      return "precondition-failed";
    case StatusCode::kPayloadTooLarge:
      return "payload-too-large";
    case StatusCode::kUnsupportedMediaType:
      return "unsupported-media-type";
    case StatusCode::kUnprocessable:
      return "unprocessable";
    case StatusCode::kTooManyRequests:
      return "too-many-requests";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

const char* toString(Issue::Severity severity) {
  switch (severity) {
    case Issue::Severity::kFatal:
      return "fatal";
    case Issue::Severity::kError:
      return "error";
    case Issue::Severity::kWarning:
      return "warning";
    case Issue::Severity::kInformation:
      return "information";
  }
  return "error";
}

Issue Issue::error(std::string code, std::string diagnostics, std::string expression) {
  return Issue{Severity::kError, std::move(code), std::move(diagnostics), std::move(expression)};
}

Issue Issue::warning(std::string code, std::string diagnostics, std::string expression) {
  return Issue{Severity::kWarning, std::move(code), std::move(diagnostics), std::move(expression)};
}

std::string Status::toString() const {
  if (isOk()) return "ok";
  std::string out = std::string(core::toString(code_)) + ": " + message_;
  for (const auto& issue : issues_) {
    out += "\n  ";
    out += core::toString(issue.severity);
    if (!issue.expression.empty()) out += " at " + issue.expression;
    out += ": " + issue.diagnostics;
  }
  return out;
}

void failValueAccess(const Status& status) {
  // No logger here: core's Logger may be what is broken. stderr is unbuffered.
  std::fprintf(stderr, "brygga: StatusOr::value() on an error: %s\n", status.toString().c_str());
  std::abort();
}

}  // namespace brygga::core
