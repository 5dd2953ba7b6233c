// Status and Result: errors as values whose text tells people what went wrong.
#include "core/status.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "../test_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, FactoriesSetCodeAndMessage) {
  struct Case {
    Status status;
    StatusCode code;
    const char* kind;
  };
  const Case cases[] = {
      {Status::InvalidArgument("m"), StatusCode::kInvalidArgument, "invalid input: m"},
      {Status::NotFound("m"), StatusCode::kNotFound, "not found: m"},
      {Status::Corruption("m"), StatusCode::kCorruption, "corrupt data: m"},
      {Status::IoError("m"), StatusCode::kIoError, "I/O error: m"},
      {Status::Unsupported("m"), StatusCode::kUnsupported, "unsupported: m"},
      {Status::Busy("m"), StatusCode::kBusy, "busy: m"},
      {Status::Internal("m"), StatusCode::kInternal, "internal error: m"},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.status.ok()) << c.kind;
    EXPECT_EQ(c.status.code(), c.code) << c.kind;
    EXPECT_EQ(c.status.message(), "m") << c.kind;
    EXPECT_EQ(c.status.ToString(), c.kind);
  }
}

TEST(StatusTest, WithContextPrefixesTheMessageAndKeepsTheCode) {
  Status s = Status::NotFound("block bafy… is not in the repository").WithContext("cannot pin X");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "cannot pin X: block bafy… is not in the repository");
  EXPECT_EQ(s.ToString(), "not found: cannot pin X: block bafy… is not in the repository");
}

TEST(StatusTest, WithContextOnOkStaysOk) {
  Status s = Status::Ok().WithContext("anything");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, FromErrnoNamesOperationPathAndReason) {
  Status s = Status::FromErrno("cannot open", "/no/such/file", ENOENT);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(s.message(), "cannot open"));
  EXPECT_TRUE(HasSubstr(s.message(), "/no/such/file"));
  EXPECT_TRUE(HasSubstr(s.message(), std::strerror(ENOENT)));
}

TEST(ResultTest, HoldsAValue) {
  Result<std::string> r(std::string("value"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), "value");
  EXPECT_EQ(*r, "value");
  EXPECT_EQ(r->size(), 5u);
  std::string moved = std::move(r).value();
  EXPECT_EQ(moved, "value");
}

TEST(ResultTest, HoldsAStatus) {
  Result<int> r(Status::Corruption("bad bytes"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(r.status().message(), "bad bytes");
}

Status FailsWith(StatusCode code) {
  if (code == StatusCode::kOk) return Status::Ok();
  return Status::Busy("held");
}

Status Chain(StatusCode code, int* reached) {
  IA_RETURN_IF_ERROR(FailsWith(code));
  ++*reached;
  return Status::Ok();
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument(std::to_string(v) + " is odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  IA_ASSIGN_OR_RETURN(int h, Half(v));
  IA_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsAtTheFirstError) {
  int reached = 0;
  EXPECT_TRUE(Chain(StatusCode::kOk, &reached).ok());
  EXPECT_EQ(reached, 1);
  Status s = Chain(StatusCode::kBusy, &reached);
  EXPECT_EQ(s.code(), StatusCode::kBusy);
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturnPassesValuesAndErrors) {
  auto q = Quarter(12);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, 3);
  auto bad = Quarter(6);  // 6 -> 3 -> odd
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "3 is odd");
}

}  // namespace
}  // namespace ipfs_accelerate
