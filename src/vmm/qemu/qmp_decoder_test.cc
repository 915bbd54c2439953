#include "vmm/qemu/qmp_decoder.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/test_helpers.h"

namespace hotmem::vmm::qemu {
namespace {

using test::contains;

// QEMU 7.2's greeting, as Debian's qemu-system-x86 sends it.
constexpr const char* kGreeting =
    R"({"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7"}, "capabilities": ["oob"]}})";

template <class T>
const T& as(const Result<QmpMessage>& message) {
  static const T empty{};
  EXPECT_TRUE(message.ok()) << message.error().message();
  if (!message.ok()) return empty;
  EXPECT_TRUE(std::holds_alternative<T>(*message)) << "holds alternative " << message->index();
  if (!std::holds_alternative<T>(*message)) return empty;
  return std::get<T>(*message);
}

// ---- parse_qmp_message -----------------------------------------------------

TEST(ParseQmpMessage, Greeting) {
  auto m = parse_qmp_message(kGreeting);
  const auto& greeting = as<QmpGreeting>(m);
  EXPECT_EQ(greeting.version["qemu"]["major"], 7);
  EXPECT_EQ(greeting.version["qemu"]["minor"], 2);
  EXPECT_EQ(greeting.version["package"], "Debian 1:7.2+dfsg-7");
}

TEST(ParseQmpMessage, GreetingWithoutVersionHasNullVersion) {
  auto m = parse_qmp_message(R"({"QMP": {"capabilities": []}})");
  EXPECT_TRUE(as<QmpGreeting>(m).version.is_null());
}

TEST(ParseQmpMessage, ReturnWithId) {
  auto m = parse_qmp_message(R"({"return": {"base-memory": 536870912}, "id": 12})");
  const auto& ret = as<QmpReturn>(m);
  ASSERT_TRUE(ret.id.has_value());
  EXPECT_EQ(*ret.id, 12u);
  EXPECT_EQ(ret.value["base-memory"], 536870912);
}

TEST(ParseQmpMessage, ReturnWithEmptyObjectAndNoId) {
  auto m = parse_qmp_message(R"({"return": {}})");
  const auto& ret = as<QmpReturn>(m);
  EXPECT_FALSE(ret.id.has_value());
  EXPECT_TRUE(ret.value.is_object());
  EXPECT_TRUE(ret.value.empty());
}

TEST(ParseQmpMessage, ReturnOfAList) {
  auto m = parse_qmp_message(R"({"return": [{"type": "virtio-mem", "data": {"id": "vmem1"}}], "id": 3})");
  const auto& ret = as<QmpReturn>(m);
  ASSERT_TRUE(ret.value.is_array());
  EXPECT_EQ(ret.value[0]["data"]["id"], "vmem1");
}

TEST(ParseQmpMessage, IdThatIsNotAnUnsignedNumberIsIgnored) {
  for (const char* line : {R"({"return": {}, "id": "abc"})", R"({"return": {}, "id": -1})",
                           R"({"return": {}, "id": 1.5})"}) {
    auto m = parse_qmp_message(line);
    EXPECT_FALSE(as<QmpReturn>(m).id.has_value()) << line;
  }
}

TEST(ParseQmpMessage, ErrorWithClassAndDescription) {
  auto m = parse_qmp_message(
      R"({"id": 7, "error": {"class": "DeviceNotFound", "desc": "Device 'vmem9' not found"}})");
  const auto& error = as<QmpError>(m);
  ASSERT_TRUE(error.id.has_value());
  EXPECT_EQ(*error.id, 7u);
  EXPECT_EQ(error.error_class, "DeviceNotFound");
  EXPECT_EQ(error.description, "Device 'vmem9' not found");
}

TEST(ParseQmpMessage, ErrorWithMissingOrOddFieldsKeepsThemEmpty) {
  auto m = parse_qmp_message(R"({"error": {"class": 5}})");
  const auto& error = as<QmpError>(m);
  EXPECT_FALSE(error.id.has_value());
  EXPECT_TRUE(error.error_class.empty());
  EXPECT_TRUE(error.description.empty());
}

TEST(ParseQmpMessage, ErrorThatIsNotAnObjectIsRejected) {
  auto m = parse_qmp_message(R"({"error": "boom", "id": 1})");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message(), "'error' is not an object")) << m.error().message();
}

TEST(ParseQmpMessage, EventWithData) {
  auto m = parse_qmp_message(
      R"({"timestamp": {"seconds": 1700000000, "microseconds": 1234}, "event": "MEMORY_DEVICE_SIZE_CHANGE", )"
      R"("data": {"id": "vmem1", "size": 134217728, "qom-path": "/machine/peripheral/vmem1"}})");
  const auto& event = as<QmpEvent>(m);
  EXPECT_EQ(event.name, "MEMORY_DEVICE_SIZE_CHANGE");
  EXPECT_EQ(event.data["id"], "vmem1");
  EXPECT_EQ(event.data["size"], 134217728);
  ASSERT_TRUE(event.timestamp.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(event.timestamp->time_since_epoch()).count(),
            1700000000LL * 1000000 + 1234);
}

TEST(ParseQmpMessage, EventWithoutAUsableTimestampHasNone) {
  for (const char* line : {R"({"event": "RESUME"})",
                           R"({"event": "RESUME", "timestamp": {"seconds": -1, "microseconds": -1}})",
                           R"({"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 1000000}})",
                           R"({"event": "RESUME", "timestamp": {"seconds": "1", "microseconds": 0}})",
                           R"({"event": "RESUME", "timestamp": [1, 2]})"}) {
    auto m = parse_qmp_message(line);
    EXPECT_FALSE(as<QmpEvent>(m).timestamp.has_value()) << line;
  }
}

TEST(ParseQmpMessage, EventWithoutDataHasEmptyObject) {
  auto m = parse_qmp_message(R"({"event": "RESUME", "timestamp": {"seconds": 1, "microseconds": 2}})");
  const auto& event = as<QmpEvent>(m);
  EXPECT_EQ(event.name, "RESUME");
  EXPECT_TRUE(event.data.is_object());
  EXPECT_TRUE(event.data.empty());
}

TEST(ParseQmpMessage, EventNameThatIsNotAStringIsRejected) {
  auto m = parse_qmp_message(R"({"event": 42})");
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(contains(m.error().message(), "'event' is not a string")) << m.error().message();
}

TEST(ParseQmpMessage, RejectsUnrecognisedAndMalformedLines) {
  for (const char* line : {R"({"hello": 1})", "{}", "not json", "[1,2]", "\"return\"", ""}) {
    auto m = parse_qmp_message(line);
    ASSERT_FALSE(m.ok()) << "accepted " << line;
    EXPECT_TRUE(contains(m.error().message(), "QMP")) << m.error().message();
  }
}

// ---- QmpDecoder ------------------------------------------------------------

std::vector<Result<QmpMessage>> drain(QmpDecoder& decoder) {
  std::vector<Result<QmpMessage>> out;
  while (auto m = decoder.next()) out.push_back(std::move(*m));
  return out;
}

TEST(QmpDecoder, NothingBeforeALineEnds) {
  QmpDecoder decoder;
  EXPECT_FALSE(decoder.next().has_value());
  ASSERT_TRUE(decoder.feed(R"({"return": {}, "id": 1})").ok());
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(QmpDecoder, AssemblesALineSplitAcrossFeeds) {
  const std::string line = std::string(kGreeting) + "\n";
  QmpDecoder decoder;
  for (std::size_t i = 0; i < line.size(); i += 7) {
    EXPECT_FALSE(decoder.next().has_value()) << "message before byte " << i;
    ASSERT_TRUE(decoder.feed(line.substr(i, 7)).ok());
  }
  auto m = decoder.next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(as<QmpGreeting>(*m).version["qemu"]["major"], 7);
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(QmpDecoder, KeepsTheUnfinishedLineWhileHandingOutTheOnesBeforeIt) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed(R"({"event": "STOP"})" "\n" R"({"event": "RES)").ok());
  auto first = decoder.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(as<QmpEvent>(*first).name, "STOP");
  EXPECT_FALSE(decoder.next().has_value());
  ASSERT_TRUE(decoder.feed(R"(UME"})" "\n").ok());
  auto second = decoder.next();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(as<QmpEvent>(*second).name, "RESUME");
  EXPECT_FALSE(decoder.next().has_value());
}

TEST(QmpDecoder, LimitCountsOnlyTheUnfinishedLine) {
  // A full line's worth of complete lines, then one more line at the limit.
  QmpDecoder decoder;
  const std::string line = std::string(1023, ' ') + "\n";
  for (std::size_t fed = 0; fed <= QmpDecoder::kMaxLine; fed += line.size()) ASSERT_TRUE(decoder.feed(line).ok());
  EXPECT_TRUE(decoder.feed(std::string(QmpDecoder::kMaxLine, ' ')).ok());
  EXPECT_FALSE(decoder.next().has_value());
  EXPECT_FALSE(decoder.feed("x").ok());
}

TEST(QmpDecoder, SeveralMessagesInOneFeedComeOutInOrder) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed(std::string(kGreeting) + "\n" + R"({"return": {}, "id": 1})" + "\n" +
                           R"({"event": "STOP"})" + "\n" + R"({"return": {}, "id": 2})")
                  .ok());
  auto messages = drain(decoder);
  ASSERT_EQ(messages.size(), 3u);
  as<QmpGreeting>(messages[0]);
  EXPECT_EQ(as<QmpReturn>(messages[1]).id, 1u);
  EXPECT_EQ(as<QmpEvent>(messages[2]).name, "STOP");
  // The unterminated fourth message arrives with its newline.
  ASSERT_TRUE(decoder.feed("\n").ok());
  auto last = decoder.next();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(as<QmpReturn>(*last).id, 2u);
}

TEST(QmpDecoder, AcceptsCrLfLineEndings) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed("{\"return\": {}, \"id\": 4}\r\n{\"event\": \"SHUTDOWN\"}\r\n").ok());
  auto messages = drain(decoder);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(as<QmpReturn>(messages[0]).id, 4u);
  EXPECT_EQ(as<QmpEvent>(messages[1]).name, "SHUTDOWN");
}

TEST(QmpDecoder, CrLfSplitBetweenFeeds) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed("{\"return\": {}, \"id\": 5}\r").ok());
  EXPECT_FALSE(decoder.next().has_value());
  ASSERT_TRUE(decoder.feed("\n").ok());
  auto m = decoder.next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(as<QmpReturn>(*m).id, 5u);
}

TEST(QmpDecoder, SkipsBlankLines) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed("\n\r\n   \n\t \r\n{\"event\": \"RESET\"}\n\n").ok());
  auto messages = drain(decoder);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(as<QmpEvent>(messages[0]).name, "RESET");
}

TEST(QmpDecoder, GarbageLineIsAnErrorResultAndDecodingGoesOn) {
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed("this is not json\n{\"return\": {}, \"id\": 9}\n").ok());
  auto garbage = decoder.next();
  ASSERT_TRUE(garbage.has_value());
  ASSERT_FALSE(garbage->ok());
  EXPECT_TRUE(contains(garbage->error().message(), "QMP")) << garbage->error().message();
  auto next = decoder.next();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(as<QmpReturn>(*next).id, 9u);
}

TEST(QmpDecoder, LineAtTheLimitIsAccepted) {
  QmpDecoder decoder;
  EXPECT_TRUE(decoder.feed(std::string(QmpDecoder::kMaxLine, ' ')).ok());
}

TEST(QmpDecoder, OverlongLineFailsTheFeed) {
  QmpDecoder decoder;
  Status s = decoder.feed(std::string(QmpDecoder::kMaxLine + 1, 'x'));
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "line longer than")) << s.error().message();
}

TEST(QmpDecoder, OverlongLineBuiltUpOverManyFeedsFailsTheFeed) {
  QmpDecoder decoder;
  const std::string chunk(1 << 20, 'x');
  Status s = ok_status();
  std::size_t fed = 0;
  while (s.ok() && fed <= QmpDecoder::kMaxLine) {
    s = decoder.feed(chunk);
    fed += chunk.size();
  }
  ASSERT_FALSE(s.ok()) << "accepted " << fed << " bytes without a newline";
  EXPECT_GT(fed, QmpDecoder::kMaxLine);
}

TEST(QmpDecoder, OverlongLineAfterACompleteLineFailsTheFeed) {
  // A newline earlier in the buffer must not exempt the unterminated line after it.
  QmpDecoder decoder;
  ASSERT_TRUE(decoder.feed("{\"event\": \"STOP\"}\n").ok());
  Status s = decoder.feed(std::string(QmpDecoder::kMaxLine + 1, 'x'));
  EXPECT_FALSE(s.ok()) << "buffered an unterminated line of " << QmpDecoder::kMaxLine + 1 << " bytes";
}

TEST(QmpDecoder, OverlongLineIsRejectedEvenWhenItsNewlineArrivesInTheSameFeed) {
  QmpDecoder decoder;
  const std::string line = R"({"return": ")" + std::string(QmpDecoder::kMaxLine, 'x') + "\"}\n";
  Status s = decoder.feed(line);
  if (!s.ok()) return;  // refused at feed: fine
  auto m = decoder.next();
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->ok()) << "decoded a line of " << line.size() << " bytes, limit " << QmpDecoder::kMaxLine;
}

}  // namespace
}  // namespace hotmem::vmm::qemu
