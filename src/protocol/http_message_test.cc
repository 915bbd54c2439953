#include "protocol/http_message.h"

#include <gtest/gtest.h>

namespace hotmem::protocol {
namespace {

using Kind = HttpReader::Kind;

TEST(HttpMessage, ReadsARequestFedByteByByte) {
  const std::string wire = format_request("POST", "/run", R"({"value":{"n":1}})");
  HttpReader reader(Kind::kRequest);
  for (char c : wire) ASSERT_TRUE(reader.feed(std::string_view(&c, 1)));
  ASSERT_TRUE(reader.complete());
  EXPECT_EQ(reader.message().method, "POST");
  EXPECT_EQ(reader.message().target, "/run");
  EXPECT_EQ(reader.message().body, R"({"value":{"n":1}})");
}

TEST(HttpMessage, ReadsAResponse) {
  HttpReader reader(Kind::kResponse);
  ASSERT_TRUE(reader.feed(format_response(502, R"({"error":"boom"})")));
  ASSERT_TRUE(reader.complete());
  EXPECT_EQ(reader.message().status, 502);
  EXPECT_EQ(reader.message().body, R"({"error":"boom"})");
}

TEST(HttpMessage, ResponseWithoutLengthEndsWithTheConnection) {
  // What Python's http.server sends for HTTP/1.0 replies.
  HttpReader reader(Kind::kResponse);
  ASSERT_TRUE(reader.feed("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":"));
  EXPECT_FALSE(reader.complete());
  ASSERT_TRUE(reader.feed("1}"));
  ASSERT_TRUE(reader.finish());
  EXPECT_EQ(reader.message().body, "{\"a\":1}");
}

TEST(HttpMessage, ChunkedBodiesAreJoined) {
  HttpReader reader(Kind::kResponse);
  ASSERT_TRUE(reader.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  ASSERT_TRUE(reader.complete());
  EXPECT_EQ(reader.message().body, "abcde");
}

TEST(HttpMessage, GarbageIsAnError) {
  HttpReader reader(Kind::kResponse);
  auto s = reader.feed("\x01\x02 not http at all\r\n\r\n");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("malformed HTTP"), std::string::npos);
}

TEST(HttpMessage, BodyOverTheLimitIsAnError) {
  HttpReader reader(Kind::kResponse, 16);
  auto s = reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("larger than 16 bytes"), std::string::npos);
}

TEST(HttpMessage, EndlessHeadersAreCutOff) {
  HttpReader reader(Kind::kResponse, 16);
  ASSERT_TRUE(reader.feed("HTTP/1.1 200 OK\r\n"));
  Status s = ok_status();
  for (int i = 0; i < 10000 && s; ++i) s = reader.feed("X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
  EXPECT_FALSE(s);
}

TEST(HttpMessage, ConnectionClosedEarlyIsAnError) {
  HttpReader reader(Kind::kResponse);
  ASSERT_TRUE(reader.feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_FALSE(reader.finish());
}

TEST(HttpMessage, UpgradeIsRefused) {
  HttpReader reader(Kind::kRequest);
  EXPECT_FALSE(reader.feed("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
}

// Found by fuzz/http_message_fuzz.cc: the refused message counted as
// complete, so finish() accepted it after feed() had failed.
TEST(HttpMessage, RefusedUpgradeStaysFailed) {
  HttpReader reader(Kind::kResponse);
  EXPECT_FALSE(reader.feed("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"));
  EXPECT_FALSE(reader.complete());
  EXPECT_FALSE(reader.finish());
  EXPECT_FALSE(reader.feed("more"));
}

}  // namespace
}  // namespace hotmem::protocol
