// Errors as values: every fallible operation returns Result<T> (or Status),
// carrying a message a person can act on and a kind a program can act on.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hotmem {

// What kind of failure an Error is. Callers branch on it (the REST API maps
// it to an HTTP status in one place); the message says the rest.
enum class ErrorCode {
  kInternal,           // a bug or an unexpected failure of the host itself
  kInvalidArgument,    // the caller asked for something malformed or out of range
  kNotFound,           // what was named does not exist
  kConflict,           // it exists already, or is busy with something else
  kUnavailable,        // not now: a VM failed or is gone, a wait ran out; may work later
  kResourceExhausted,  // a limit was reached (functions, instances, memory)
  kGuestMisbehaved,    // the guest (agent or function code) broke its side of the protocol
  kUnauthenticated,    // the caller did not prove who it is (no or a wrong API token)
};

// "internal", "invalid_argument", ...: stable names for logs and JSON.
std::string_view error_code_name(ErrorCode code);

class Error {
 public:
  // An error of kind kInternal: the kind to use when nothing better is known.
  explicit Error(std::string message) : message_(std::move(message)) {}
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // A short phrase naming what failed, for an answer's headline ("function
  // VM failed"); empty unless a layer that knows set it.
  const std::string& reason() const { return reason_; }

  // Returns this error with `what` prepended, e.g. "plug vmem1: <cause>";
  // its kind and reason stay.
  Error context(std::string_view what) const {
    Error e = *this;
    e.message_ = std::string(what) + ": " + message_;
    return e;
  }
  // The same failure seen as another kind (e.g. a guest's answer that fails
  // to parse is the guest misbehaving, whatever the parser called it).
  Error with_code(ErrorCode code) const {
    Error e = *this;
    e.code_ = code;
    return e;
  }
  Error with_reason(std::string reason) const {
    Error e = *this;
    e.reason_ = std::move(reason);
    return e;
  }

 private:
  ErrorCode code_ = ErrorCode::kInternal;
  std::string message_;
  std::string reason_;
};

inline std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kResourceExhausted: return "resource_exhausted";
    case ErrorCode::kGuestMisbehaved: return "guest_misbehaved";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
  }
  return "internal";
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{""};
  bool ok_ = true;
};

using Status = Result<void>;

inline Status ok_status() { return {}; }

}  // namespace hotmem
