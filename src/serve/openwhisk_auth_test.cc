// OpenWhisk's key: its form, its file's checks and the Basic header.
#include "serve/openwhisk_auth.h"

#include <sys/stat.h>

#include <fstream>

#include <gtest/gtest.h>

#include "host/testing/scratch_dir.h"

namespace hotmem::serve {
namespace {

constexpr const char* kUuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
constexpr const char* kKey = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

std::string joined() { return std::string(kUuid) + ":" + kKey; }

TEST(OpenWhiskKey, IsAUuidAColonAnd64LettersOrDigits) {
  auto key = parse_openwhisk_key(joined());
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->uuid, kUuid);
  EXPECT_EQ(key->key, kKey);
  EXPECT_EQ(key->joined(), joined());
  for (const std::string& bad : {std::string(""), std::string(kUuid), std::string(kUuid) + ":",
                                std::string(kUuid) + ":" + std::string(63, 'a'),
                                std::string(kUuid) + ":" + std::string(63, 'a') + "!",
                                std::string("23bc46b1-71f6-4ed5-8c54-816aa4f8c50z:") + kKey,
                                std::string("23bc46b171f64ed58c54816aa4f8c502:") + kKey}) {
    auto refused = parse_openwhisk_key(bad);
    ASSERT_FALSE(refused) << bad;
    EXPECT_NE(refused.error().message().find("/proc/sys/kernel/random/uuid"), std::string::npos);
  }
}

class OpenWhiskKeyFileTest : public host::ScratchDirTest {
 protected:
  std::filesystem::path write(const std::string& text, mode_t mode) {
    const auto path = dir() / "ow.key";
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
};

TEST_F(OpenWhiskKeyFileTest, IsReadLikeTheTokenFile) {
  auto key = read_openwhisk_key_file(write(joined() + "\n", 0600));
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->joined(), joined());
  auto open = read_openwhisk_key_file(write(joined() + "\n", 0644));
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message().find("chmod 600"), std::string::npos);
  EXPECT_FALSE(read_openwhisk_key_file(write("not a key\n", 0600)));
  auto missing = read_openwhisk_key_file(dir() / "missing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("OpenWhisk key file"), std::string::npos) << missing.error().message();
}

TEST(Base64, DecodesWithOrWithoutPaddingAndRefusesOtherCharacters) {
  EXPECT_EQ(*base64_decode("aGVsbG8="), "hello");
  EXPECT_EQ(*base64_decode("aGVsbG8"), "hello");
  EXPECT_EQ(*base64_decode(""), "");
  EXPECT_EQ(*base64_decode("YWI6Y2Q="), "ab:cd");
  EXPECT_FALSE(base64_decode("aGVs bG8="));
  EXPECT_FALSE(base64_decode("aGVsbG8*"));
  EXPECT_FALSE(base64_decode("a"));
}

TEST(BasicAuth, OnlyTheKeyAsBasicAuthorizes) {
  const OpenWhiskKey key{kUuid, kKey};
  // base64 of joined(), as the npm client sends it (Buffer.from(apiKey).toString('base64')).
  const std::string encoded =
      "MjNiYzQ2YjEtNzFmNi00ZWQ1LThjNTQtODE2YWE0ZjhjNTAyOjEyM3pPM3haQ0xyTU42djJCS0sxZFhZRnBYbFBrY2NPRnFtMTJDZEFzTWdS"
      "VTRWck5aOWx5R1ZDR3VNREdJd1A=";
  EXPECT_TRUE(basic_authorizes("Basic " + encoded, key));
  EXPECT_TRUE(basic_authorizes("basic " + encoded, key));
  EXPECT_FALSE(basic_authorizes("Bearer " + encoded, key));
  EXPECT_FALSE(basic_authorizes("Basic", key));
  EXPECT_FALSE(basic_authorizes("Basic " + encoded.substr(4), key));
  EXPECT_FALSE(basic_authorizes("Basic !!!!", key));
  EXPECT_FALSE(basic_authorizes("Basic " + std::string(5000, 'A'), key));
  EXPECT_FALSE(basic_authorizes("", key));
}

}  // namespace
}  // namespace hotmem::serve
