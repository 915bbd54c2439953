#include "protocol/frame.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace hotmem::protocol {
namespace {

// A header with every field chosen by the test.
std::string header(char m0, char m1, unsigned char version, unsigned char reserved, std::uint32_t length) {
  std::string h{m0, m1, static_cast<char>(version), static_cast<char>(reserved)};
  for (int shift = 24; shift >= 0; shift -= 8) h += static_cast<char>((length >> shift) & 0xff);
  return h;
}

std::vector<std::string> drain(FrameDecoder& decoder) {
  std::vector<std::string> out;
  while (auto f = decoder.next()) out.push_back(std::move(*f));
  return out;
}

TEST(EncodeFrame, WritesMagicVersionReservedAndBigEndianLength) {
  const std::string payload(0x010203, 'x');
  const std::string frame = encode_frame(payload);
  ASSERT_EQ(frame.size(), kHeaderSize + payload.size());
  EXPECT_EQ(frame[0], 'H');
  EXPECT_EQ(frame[1], 'M');
  EXPECT_EQ(static_cast<unsigned char>(frame[2]), kProtocolVersion);
  EXPECT_EQ(frame[3], '\0');
  EXPECT_EQ(static_cast<unsigned char>(frame[4]), 0x00);
  EXPECT_EQ(static_cast<unsigned char>(frame[5]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>(frame[6]), 0x02);
  EXPECT_EQ(static_cast<unsigned char>(frame[7]), 0x03);
  EXPECT_EQ(frame.substr(kHeaderSize), payload);
}

TEST(FrameDecoder, RoundTripsOnePayload) {
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_frame(R"({"id":1,"type":"ping"})")).ok());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, R"({"id":1,"type":"ping"})");
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.pending_bytes(), 0u);
  EXPECT_FALSE(decoder.failed());
}

TEST(FrameDecoder, RoundTripsBinaryPayload) {
  std::string payload;
  for (int i = 0; i < 256; ++i) payload += static_cast<char>(i);
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_frame(payload)).ok());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, payload);
}

TEST(FrameDecoder, AssemblesAFrameFedOneByteAtATime) {
  const std::string wire = encode_frame("hello, agent");
  FrameDecoder decoder;
  for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
    ASSERT_TRUE(decoder.feed(wire.substr(i, 1)).ok()) << "byte " << i;
    EXPECT_FALSE(decoder.next().has_value()) << "frame complete after only " << i + 1 << " bytes";
    EXPECT_EQ(decoder.pending_bytes(), i + 1);
  }
  ASSERT_TRUE(decoder.feed(wire.substr(wire.size() - 1)).ok());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(*frame, "hello, agent");
  EXPECT_EQ(decoder.pending_bytes(), 0u);
}

TEST(FrameDecoder, SplitsSeveralFramesFromOneFeedInOrder) {
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_frame("one") + encode_frame("") + encode_frame("three")).ok());
  EXPECT_EQ(drain(decoder), (std::vector<std::string>{"one", "", "three"}));
}

TEST(FrameDecoder, KeepsATruncatedFramePendingUntilTheRestArrives) {
  const std::string wire = encode_frame("first") + encode_frame("second");
  const std::size_t cut = wire.size() - 3;
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(wire.substr(0, cut)).ok());
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"first"});
  EXPECT_EQ(decoder.pending_bytes(), kHeaderSize + 3);  // "sec" of "second"
  EXPECT_FALSE(decoder.failed());

  ASSERT_TRUE(decoder.feed(wire.substr(cut)).ok());
  EXPECT_EQ(drain(decoder), std::vector<std::string>{"second"});
  EXPECT_EQ(decoder.pending_bytes(), 0u);
}

TEST(FrameDecoder, KeepsAPartialHeaderPending) {
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(encode_frame("x").substr(0, kHeaderSize - 1)).ok());
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_EQ(decoder.pending_bytes(), kHeaderSize - 1);
  EXPECT_FALSE(decoder.failed());
}

TEST(FrameDecoder, DecodesAZeroLengthPayload) {
  const std::string wire = encode_frame("");
  EXPECT_EQ(wire.size(), kHeaderSize);
  FrameDecoder decoder;
  ASSERT_TRUE(decoder.feed(wire).ok());
  auto frame = decoder.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_TRUE(frame->empty());
}

TEST(FrameDecoder, AcceptsAPayloadExactlyAtTheLimit) {
  FrameDecoder small(16);
  ASSERT_TRUE(small.feed(encode_frame(std::string(16, 'a'))).ok());
  auto frame = small.next();
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->size(), 16u);

  FrameDecoder standard;
  const std::string big(kDefaultMaxPayload, 'b');
  ASSERT_TRUE(standard.feed(encode_frame(big)).ok());
  auto big_frame = standard.next();
  ASSERT_TRUE(big_frame.has_value());
  EXPECT_EQ(*big_frame, big);
}

TEST(FrameDecoder, RejectsAPayloadOneByteOverTheLimit) {
  FrameDecoder decoder(16);
  Status s = decoder.feed(encode_frame(std::string(17, 'a')));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("oversized"), std::string::npos) << s.error().message();
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameDecoder, RejectsAnOversizedLengthFromTheHeaderAlone) {
  // No payload follows: the header alone must be enough to refuse, so a
  // hostile peer cannot make us buffer megabytes first.
  FrameDecoder decoder;
  Status s = decoder.feed(header('H', 'M', kProtocolVersion, 0, kDefaultMaxPayload + 1));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("oversized"), std::string::npos) << s.error().message();

  FrameDecoder huge;
  EXPECT_FALSE(huge.feed(header('H', 'M', kProtocolVersion, 0, 0xffffffffu)).ok());
}

TEST(FrameDecoder, RejectsBadMagic) {
  FrameDecoder decoder;
  Status s = decoder.feed(header('X', 'M', kProtocolVersion, 0, 2) + "{}");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("magic"), std::string::npos) << s.error().message();
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.next().has_value());

  FrameDecoder second_byte;
  EXPECT_FALSE(second_byte.feed(header('H', 'm', kProtocolVersion, 0, 0)).ok());
}

TEST(FrameDecoder, RejectsAnUnknownVersion) {
  FrameDecoder decoder;
  Status s = decoder.feed(header('H', 'M', kProtocolVersion + 1, 0, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("version"), std::string::npos) << s.error().message();
  EXPECT_TRUE(decoder.failed());

  FrameDecoder zero;
  EXPECT_FALSE(zero.feed(header('H', 'M', 0, 0, 0)).ok());
}

TEST(FrameDecoder, RejectsANonZeroReservedByte) {
  FrameDecoder decoder;
  Status s = decoder.feed(header('H', 'M', kProtocolVersion, 0x80, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("reserved"), std::string::npos) << s.error().message();
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameDecoder, RejectsABadHeaderAfterAGoodFrame) {
  FrameDecoder decoder;
  Status s = decoder.feed(encode_frame("ok") + "GARBAGE!GARBAGE!");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(decoder.failed());
}

TEST(FrameDecoder, StaysFailedAfterAnError) {
  FrameDecoder decoder;
  Status first = decoder.feed("not a frame at all");
  ASSERT_FALSE(first.ok());
  // No resynchronisation: a valid frame afterwards is refused with the same reason.
  Status second = decoder.feed(encode_frame("valid"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message(), first.error().message());
  EXPECT_TRUE(decoder.failed());
  EXPECT_FALSE(decoder.next().has_value());
  Status third = decoder.feed("");
  EXPECT_FALSE(third.ok());
}

}  // namespace
}  // namespace hotmem::protocol
