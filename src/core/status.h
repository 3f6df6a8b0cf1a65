// SPDX-License-Identifier: Apache-2.0
// File: status.h
//
// Status and Result<T>: how nordpii reports errors without exceptions across
// module boundaries (as RE2 and Abseil do). Both are [[nodiscard]]; the names follow
// std::expected so that C++23 is a rename.
#ifndef NORDPII_CORE_STATUS_H_
#define NORDPII_CORE_STATUS_H_

#include <string>
#include <utility>
#include <variant>

namespace nordpii {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // bad option, bad pattern file, bad plugin
  kNotFound,
  kIo,               // open/read/write failed
  kLimit,            // a ScanLimits bound was hit
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }
  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status Error(ErrorCode code, std::string message) { return Status(code, std::move(message)); }

// Holds a T or an error Status. Accessing value() on an error is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}   // NOLINT: must not be ok()
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  T& operator*() { return std::get<0>(v_); }
  const Status& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace nordpii

#endif  // NORDPII_CORE_STATUS_H_
