#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace brygga::core {

// The error categories Brygga distinguishes. Each maps to exactly one HTTP status so that any
// Status can become an OperationOutcome answer at the edge without a second table.
enum class StatusCode {
  kOk,
  kInvalidArgument,       // 400: unparseable or malformed input
  kUnauthenticated,       // 401
  kPermissionDenied,      // 403
  kNotFound,              // 404
  kMethodNotAllowed,      // 405
  kRequestTimeout,        // 408: a request that did not arrive in time
  kConflict,              // 409
  kGone,                  // 410: deleted resource
  kPreconditionFailed,    // 412: stale If-Match, ambiguous conditional
  kPayloadTooLarge,       // 413
  kUnsupportedMediaType,  // 415
  kUnprocessable,         // 422: parses, but is not valid FHIR / business rules
  kTooManyRequests,       // 429: a rate limit
  kUnavailable,           // 503: back-pressure, peer down, disk full
  kInternal,              // 500: a bug or an environment failure
};

int httpStatusOf(StatusCode code);
const char* toString(StatusCode code);

// One finding about a piece of input, shaped like an OperationOutcome.issue so that data
// problems travel as data. `expression` is a FHIRPath-style location (`Patient.identifier[0]`).
struct Issue {
  enum class Severity { kFatal, kError, kWarning, kInformation };
  Severity severity = Severity::kError;
  std::string code = "invalid";  // FHIR issue-type code: invalid, structure, required, value...
  std::string diagnostics;
  std::string expression;

  static Issue error(std::string code, std::string diagnostics, std::string expression = {});
  static Issue warning(std::string code, std::string diagnostics, std::string expression = {});
};

const char* toString(Issue::Severity severity);

// Status: an error code, a human message, and optionally the detailed issues behind it.
// [[nodiscard]] (as absl::Status): every function returning a Status is checked by the compiler,
// so an error cannot be dropped by accident. Where dropping one is right, say so with
// `ignoreError()` and a comment on why.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::vector<Issue> issues = {})
      : code_(code), message_(std::move(message)), issues_(std::move(issues)) {}

  static Status ok() { return {}; }

  bool isOk() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::vector<Issue>& issues() const { return issues_; }
  int httpStatus() const { return httpStatusOf(code_); }
  std::string toString() const;
  // The same status with `prefix` before its message ("Bundle.entry[2]: ..."); ok stays ok.
  Status withPrefix(std::string_view prefix) const {
    return isOk() ? *this : Status(code_, std::string(prefix) + message_, issues_);
  }

  // Drops this status on purpose. Every call carries a comment saying why nothing is to be done
  // with an error there (it was already logged, a later pass retries, ...).
  void ignoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::vector<Issue> issues_;
};

inline Status invalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status notFound(std::string m) {
  return {StatusCode::kNotFound, std::move(m)};
}
inline Status conflict(std::string m) {
  return {StatusCode::kConflict, std::move(m)};
}
inline Status preconditionFailed(std::string m) {
  return {StatusCode::kPreconditionFailed, std::move(m)};
}
inline Status unprocessable(std::string m, std::vector<Issue> issues = {}) {
  return {StatusCode::kUnprocessable, std::move(m), std::move(issues)};
}
inline Status internalError(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}
inline Status unavailable(std::string m) {
  return {StatusCode::kUnavailable, std::move(m)};
}
inline Status permissionDenied(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}

// Reports a value taken from a StatusOr that holds an error (a bug in the caller: it must check
// isOk() first) on stderr with the status, and aborts. Never returns.
[[noreturn]] void failValueAccess(const Status& status);

// StatusOr<T>: a value or the Status explaining why there is none. Never holds an OK status
// without a value. [[nodiscard]] like Status. value(), `*` and `->` on an error are a bug in the
// caller and fail loudly and deterministically (failValueAccess), in every build type.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.isOk()) status_ = internalError("StatusOr constructed from an OK status");
  }

  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return checked(); }
  const T& value() const& { return checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return checked(); }

  // The value, or `fallback` when there is none: for callers to whom an error means "use this
  // instead" (a hint that may be absent, a best-effort normalisation).
  template <typename U>
  T valueOr(U&& fallback) const& {
    return value_ ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T valueOr(U&& fallback) && {
    return value_ ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

  // Drops the value or error on purpose; see Status::ignoreError.
  void ignoreError() const {}

 private:
  T& checked() {
    if (!value_) failValueAccess(status_);
    return *value_;
  }
  const T& checked() const {
    if (!value_) failValueAccess(status_);
    return *value_;
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace brygga::core

#define BRYGGA_CONCAT_INNER(a, b) a##b
#define BRYGGA_CONCAT(a, b) BRYGGA_CONCAT_INNER(a, b)

// Propagates a non-OK Status to the caller.
#define BRYGGA_RETURN_IF_ERROR(expr) \
  BRYGGA_RETURN_IF_ERROR_IMPL(BRYGGA_CONCAT(brygga_status_, __COUNTER__), expr)
#define BRYGGA_RETURN_IF_ERROR_IMPL(tmp, expr) \
  do {                                         \
    ::brygga::core::Status tmp = (expr);       \
    if (!tmp.isOk()) return tmp;               \
  } while (0)

// Assigns the value of a StatusOr expression to `lhs`, or returns its Status.
#define BRYGGA_ASSIGN_OR_RETURN(lhs, expr) \
  BRYGGA_ASSIGN_OR_RETURN_IMPL(BRYGGA_CONCAT(brygga_statusor_, __COUNTER__), lhs, expr)
#define BRYGGA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.isOk()) return tmp.status();              \
  lhs = std::move(tmp).value()
