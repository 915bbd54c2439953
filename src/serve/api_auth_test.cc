// Who may use the REST API: loopback addresses, the token file's checks,
// the comparison of tokens and the Authorization header's form.
#include "serve/api_auth.h"

#include <sys/stat.h>

#include <fstream>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/test_helpers.h"
#include "host/testing/scratch_dir.h"

namespace hotmem::serve {
namespace {

namespace fs = std::filesystem;

using test::contains;

TEST(LoopbackHost, OnlyLoopbackAddressesCount) {
  for (const char* loopback : {"127.0.0.1", "127.1.2.3", "127.255.255.255", "localhost", "LocalHost", "::1", "[::1]",
                               "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(loopback)) << loopback;
  }
  for (const char* open : {"0.0.0.0", "::", "", "10.0.0.1", "128.0.0.1", "192.168.1.127", "::ffff:10.0.0.1",
                           "localhost.example.com", "example.com", "127.0.0.1 ", "[::1", "fe80::1"}) {
    EXPECT_FALSE(is_loopback_host(open)) << open;
  }
}

class TokenFileTest : public host::ScratchDirTest {
 protected:
  fs::path write(const std::string& text, mode_t mode = 0600) {
    const fs::path path = dir() / "token";
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  std::string refusal(const std::string& text, mode_t mode = 0600) {
    auto token = read_token_file(write(text, mode));
    EXPECT_FALSE(token) << "accepted '" << text << "' at mode " << mode;
    return token ? "" : token.error().message();
  }
};

TEST_F(TokenFileTest, TheTokenIsTheFirstLineTrimmed) {
  auto token = read_token_file(write("  s3cret-token_42 \r\nsecond line\n"));
  ASSERT_TRUE(token) << token.error().message();
  EXPECT_EQ(*token, "s3cret-token_42");
  auto bare = read_token_file(write("abc"));
  ASSERT_TRUE(bare) << bare.error().message();
  EXPECT_EQ(*bare, "abc");
}

TEST_F(TokenFileTest, AFileOthersCanReadIsRefused) {
  const std::string why = refusal("s3cret\n", 0644);
  EXPECT_TRUE(contains(why, "mode 0644")) << why;
  EXPECT_TRUE(contains(why, "chmod 600")) << why;
  EXPECT_TRUE(contains(refusal("s3cret\n", 0640), "mode 0640"));
  EXPECT_TRUE(contains(refusal("s3cret\n", 0602), "mode 0602"));
}

TEST_F(TokenFileTest, AnEmptyTokenIsRefused) {
  for (const std::string& empty : {std::string(""), std::string("\n"), std::string("   \nsecond line is no token\n")}) {
    const std::string why = refusal(empty);
    EXPECT_TRUE(contains(why, "no token")) << why;
  }
}

TEST_F(TokenFileTest, ATokenNoHeaderCanCarryIsRefused) {
  EXPECT_TRUE(contains(refusal("two words\n"), "space"));
  EXPECT_TRUE(contains(refusal(std::string(kMaxTokenBytes + 1, 'x')), "at most"));
  EXPECT_TRUE(read_token_file(write(std::string(kMaxTokenBytes, 'x'))));
}

TEST_F(TokenFileTest, AMissingFileSaysWhich) {
  auto token = read_token_file(dir() / "nowhere");
  ASSERT_FALSE(token);
  EXPECT_TRUE(contains(token.error().message(), "nowhere")) << token.error().message();
}

TEST(TokensEqual, OnlyTheSameBytesOfTheSameLengthMatch) {
  const std::string longest(kMaxTokenBytes, 'k');
  const std::vector<std::pair<std::string, std::string>> differ{
      {"s3creT", "s3cret"},  {"X3cret", "s3cret"}, {"s3cre", "s3cret"},
      {"s3crett", "s3cret"}, {"", "s3cret"},
      {std::string("s3cret\0", 7), "s3cret"},  // a NUL past the end is still a byte
      {longest + "k", longest},                 // a longer header is not the token
  };
  for (const auto& [given, token] : differ) EXPECT_FALSE(tokens_equal(given, token)) << given.size() << " bytes";
  EXPECT_TRUE(tokens_equal("s3cret", "s3cret"));
  EXPECT_TRUE(tokens_equal(longest, longest));
}

TEST(Authorizes, OnlyTheBearerSchemeWithTheToken) {
  // The scheme is case-insensitive; the token is not.
  for (const char* header : {"Bearer s3cret", "bearer s3cret", "BEARER s3cret", "Bearer   s3cret "}) {
    EXPECT_TRUE(authorizes(header, "s3cret")) << header;
  }
  for (const char* header : {"", "s3cret", "Bearer", "Bearer ", "Bearers3cret", "Basic s3cret", "Bearer wrong",
                             "Bearer S3CRET", "Bearer s3cret s3cret"}) {
    EXPECT_FALSE(authorizes(header, "s3cret")) << header;
  }
}

}  // namespace
}  // namespace hotmem::serve
