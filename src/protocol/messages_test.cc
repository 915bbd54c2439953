#include "protocol/messages.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "common/test_helpers.h"

namespace hotmem::protocol {
namespace {

using test::contains;

// `depth` nested arrays around `leaf`, inside a top-level object: depth 0 is {"v": leaf}.
std::string nested(int depth, const std::string& leaf) {
  std::string s = R"({"v":)";
  for (int i = 0; i < depth; ++i) s += '[';
  s += leaf;
  for (int i = 0; i < depth; ++i) s += ']';
  return s + "}";
}

// ---- parse_object ----------------------------------------------------------

TEST(ParseObject, AcceptsAnObject) {
  auto j = parse_object(R"({"a": 1, "b": [true, null]})");
  ASSERT_TRUE(j.ok()) << j.error().message();
  EXPECT_EQ((*j)["a"], 1);
}

TEST(ParseObject, RejectsMalformedJson) {
  for (const char* text : {"", "{", "{\"a\":}", "not json", "{\"a\":1}}", "{'a':1}", "{\"a\":1,}"}) {
    auto j = parse_object(text);
    ASSERT_FALSE(j.ok()) << "accepted " << text;
    EXPECT_TRUE(contains(j.error().message(), "malformed JSON")) << j.error().message();
  }
}

TEST(ParseObject, RejectsNonObjectTopLevel) {
  for (const char* text : {"[]", "[1,2]", "42", "\"text\"", "null", "true"}) {
    auto j = parse_object(text);
    ASSERT_FALSE(j.ok()) << "accepted " << text;
    EXPECT_TRUE(contains(j.error().message(), "expected a JSON object")) << j.error().message();
  }
}

TEST(ParseObject, AcceptsNestingUpToTheLimit) {
  // The top-level object is one level, plus kMaxJsonDepth - 1 arrays.
  auto j = parse_object(nested(kMaxJsonDepth - 1, "1"));
  EXPECT_TRUE(j.ok()) << j.error().message();
  auto empty_leaf = parse_object(nested(kMaxJsonDepth - 1, ""));
  EXPECT_TRUE(empty_leaf.ok()) << empty_leaf.error().message();
}

TEST(ParseObject, RejectsNestingDeeperThanTheLimit) {
  for (int depth : {kMaxJsonDepth + 5, 100, 100000}) {
    auto j = parse_object(nested(depth, "1"));
    ASSERT_FALSE(j.ok()) << "accepted depth " << depth;
    EXPECT_TRUE(contains(j.error().message(), "deeper than")) << j.error().message();
  }
}

TEST(ParseObject, RejectsOneLevelTooDeepWhateverTheInnermostValue) {
  // kMaxJsonDepth + 1 nested containers, the innermost holding a scalar or nothing.
  auto with_scalar = parse_object(nested(kMaxJsonDepth, "1"));
  EXPECT_FALSE(with_scalar.ok()) << "accepted " << kMaxJsonDepth + 1 << " levels with a scalar leaf";
  auto with_empty = parse_object(nested(kMaxJsonDepth, ""));
  EXPECT_FALSE(with_empty.ok()) << "accepted " << kMaxJsonDepth + 1 << " levels with an empty innermost array";
}

// ---- requests --------------------------------------------------------------

TEST(Request, RoundTripsThroughEncodeAndDecode) {
  Request request{42, "instance_start", json{{"name", "fn-1"}, {"argv", {"/bin/fn", "--fast"}}}};
  auto decoded = decode_request(encode_request(request));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->id, 42u);
  EXPECT_EQ(decoded->type, "instance_start");
  EXPECT_EQ(decoded->body, request.body);
}

TEST(Request, RoundTripsTheLargestId) {
  auto decoded = decode_request(encode_request({UINT64_MAX, "ping", json::object()}));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->id, UINT64_MAX);
}

TEST(Request, MissingBodyIsAnEmptyObject) {
  auto decoded = decode_request(R"({"id": 1, "type": "ping"})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_TRUE(decoded->body.is_object());
  EXPECT_TRUE(decoded->body.empty());
}

struct BadInput {
  const char* payload;
  const char* expected_in_error;
};
// Names each case by its payload (the default printer shows pointer bytes).
void PrintTo(const BadInput& input, std::ostream* os) { *os << input.payload; }

class BadRequest : public testing::TestWithParam<BadInput> {};

TEST_P(BadRequest, IsRejectedWithAMessageNamingTheProblem) {
  auto decoded = decode_request(GetParam().payload);
  ASSERT_FALSE(decoded.ok()) << "accepted " << GetParam().payload;
  EXPECT_TRUE(contains(decoded.error().message(), GetParam().expected_in_error))
      << decoded.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Messages, BadRequest,
    testing::Values(BadInput{"{\"id\": 1, \"type\": ", "malformed JSON"},
                    BadInput{"[1, \"ping\"]", "expected a JSON object"},
                    BadInput{R"({"type": "ping"})", "'id' is missing"},
                    BadInput{R"({"id": "1", "type": "ping"})", "'id' must be a non-negative integer"},
                    BadInput{R"({"id": 1.5, "type": "ping"})", "'id' must be a non-negative integer"},
                    BadInput{R"({"id": -1, "type": "ping"})", "'id' must not be negative"},
                    BadInput{R"({"id": null, "type": "ping"})", "'id'"},
                    BadInput{R"({"id": 1})", "'type' is missing"},
                    BadInput{R"({"id": 1, "type": 7})", "'type' must be a string"},
                    BadInput{R"({"id": 1, "type": "ping", "body": []})", "'body' must be an object"},
                    BadInput{R"({"id": 1, "type": "ping", "body": "x"})", "'body' must be an object"}));

TEST(Request, TypeLongerThan64BytesIsRejected) {
  const std::string payload = json{{"id", 1}, {"type", std::string(65, 't')}}.dump();
  auto decoded = decode_request(payload);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(contains(decoded.error().message(), "'type'")) << decoded.error().message();
  EXPECT_TRUE(decode_request(json{{"id", 1}, {"type", std::string(64, 't')}}.dump()).ok());
}

// ---- responses -------------------------------------------------------------

TEST(Response, OkRoundTripsWithBody) {
  Response response{7, true, "", json{{"pid", 123}}};
  const std::string wire = encode_response(response);
  EXPECT_FALSE(contains(wire, "\"error\""));
  auto decoded = decode_response(wire);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->id, 7u);
  EXPECT_TRUE(decoded->ok);
  EXPECT_EQ(decoded->body, json({{"pid", 123}}));
  EXPECT_TRUE(decoded->error.empty());
}

TEST(Response, ErrorRoundTripsWithMessageAndNoBody) {
  Response response{8, false, "no instance 'fn-9'", json{{"ignored", true}}};
  const std::string wire = encode_response(response);
  EXPECT_FALSE(contains(wire, "ignored"));
  auto decoded = decode_response(wire);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->id, 8u);
  EXPECT_FALSE(decoded->ok);
  EXPECT_EQ(decoded->error, "no instance 'fn-9'");
  EXPECT_TRUE(decoded->body.empty());
}

TEST(Response, OkWithoutBodyHasAnEmptyBody) {
  auto decoded = decode_response(R"({"id": 3, "ok": true})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_TRUE(decoded->body.is_object());
  EXPECT_TRUE(decoded->body.empty());
}

TEST(Response, EncodingInvalidUtf8ErrorTextDoesNotThrow) {
  // An error message may quote bytes from a file or a process: never throw.
  Response response{9, false, "bad byte \xff here", json::object()};
  std::string wire;
  ASSERT_NO_THROW(wire = encode_response(response));
  auto decoded = decode_response(wire);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_TRUE(contains(decoded->error, "bad byte"));
  EXPECT_TRUE(contains(decoded->error, "here"));
}

class BadResponse : public testing::TestWithParam<BadInput> {};

TEST_P(BadResponse, IsRejectedWithAMessageNamingTheProblem) {
  auto decoded = decode_response(GetParam().payload);
  ASSERT_FALSE(decoded.ok()) << "accepted " << GetParam().payload;
  EXPECT_TRUE(contains(decoded.error().message(), GetParam().expected_in_error))
      << decoded.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Messages, BadResponse,
    testing::Values(BadInput{"{\"id\": 1, \"ok\": tru}", "malformed JSON"},
                    BadInput{"\"ok\"", "expected a JSON object"},
                    BadInput{R"({"ok": true})", "'id' is missing"},
                    BadInput{R"({"id": -5, "ok": true})", "'id' must not be negative"},
                    BadInput{R"({"id": "5", "ok": true})", "'id' must be a non-negative integer"},
                    BadInput{R"({"id": 1})", "'ok' is missing"},
                    BadInput{R"({"id": 1, "ok": 1})", "'ok' must be true or false"},
                    BadInput{R"({"id": 1, "ok": "true"})", "'ok' must be true or false"},
                    BadInput{R"({"id": 1, "ok": false})", "'error' is missing"},
                    BadInput{R"({"id": 1, "ok": false, "error": 404})", "'error' must be a string"},
                    BadInput{R"({"id": 1, "ok": true, "body": [1]})", "'body' must be an object"},
                    BadInput{R"({"id": 1, "ok": true, "body": null})", "'body' must be an object"}));

TEST(Response, ErrorTextLongerThan4096BytesIsRejected) {
  const std::string payload = json{{"id", 1}, {"ok", false}, {"error", std::string(4097, 'e')}}.dump();
  auto decoded = decode_response(payload);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(contains(decoded.error().message(), "'error'")) << decoded.error().message();
}

// ---- checked accessors -----------------------------------------------------

TEST(GetU64, ReadsAndBoundsTheValue) {
  const json j = json::parse(R"({"n": 17, "neg": -1, "f": 2.5, "s": "17"})");
  EXPECT_EQ(*get_u64(j, "n"), 17u);
  EXPECT_TRUE(get_u64(j, "n", 17).ok());

  auto too_big = get_u64(j, "n", 16);
  ASSERT_FALSE(too_big.ok());
  EXPECT_TRUE(contains(too_big.error().message(), "'n'")) << too_big.error().message();
  EXPECT_TRUE(contains(too_big.error().message(), "at most 16")) << too_big.error().message();

  for (const char* key : {"neg", "f", "s", "absent"}) {
    auto r = get_u64(j, key);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_TRUE(contains(r.error().message(), std::string("'") + key + "'")) << r.error().message();
  }
}

TEST(GetU64, ReadsTheLargestValue) {
  auto r = get_u64(json::parse(R"({"n": 18446744073709551615})"), "n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, UINT64_MAX);
}

TEST(GetU64, AcceptsANonNegativeValueStoredAsASignedInteger) {
  // json built in code from an int (or int64_t, e.g. a chrono count) holds
  // a signed integer even when it is not negative.
  const json j{{"n", 17}, {"zero", 0}, {"ms", std::int64_t{2500}}};
  for (const char* key : {"n", "zero", "ms"}) {
    auto r = get_u64(j, key);
    EXPECT_TRUE(r.ok()) << key << ": " << r.error().message();
  }
  EXPECT_EQ(get_u64(j, "ms").ok() ? *get_u64(j, "ms") : 0, 2500u);
}

TEST(GetU64, OnANonObjectReportsTheFieldMissing) {
  auto r = get_u64(json::array({1, 2}), "n");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "'n' is missing")) << r.error().message();
}

TEST(GetI64, ReadsNegativeValuesWithinRange) {
  const json j{{"n", -5}, {"big", UINT64_MAX}, {"f", 1.0}};
  EXPECT_EQ(*get_i64(j, "n", -10, 10), -5);

  auto below = get_i64(j, "n", 0, 10);
  ASSERT_FALSE(below.ok());
  EXPECT_TRUE(contains(below.error().message(), "'n'")) << below.error().message();
  EXPECT_TRUE(contains(below.error().message(), "out of range")) << below.error().message();

  auto big = get_i64(j, "big", 0, INT64_MAX);
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(contains(big.error().message(), "'big'")) << big.error().message();

  auto real = get_i64(j, "f", -10, 10);
  ASSERT_FALSE(real.ok());
  EXPECT_TRUE(contains(real.error().message(), "'f' must be an integer")) << real.error().message();

  EXPECT_TRUE(contains(get_i64(j, "gone", 0, 1).error().message(), "'gone' is missing"));
}

// Found by fuzz/messages_fuzz.cc: UINT64_MAX read as int64 is -1.
TEST(GetI64, HugeUnsignedValueIsOutOfANegativeRange) {
  const json j{{"n", UINT64_MAX}, {"m", std::uint64_t{1} << 63}};
  auto n = get_i64(j, "n", -1000, -1);
  ASSERT_FALSE(n.ok()) << *n;
  EXPECT_TRUE(contains(n.error().message(), "out of range")) << n.error().message();
  EXPECT_FALSE(get_i64(j, "m", INT64_MIN, -1).ok());
  EXPECT_FALSE(get_i64(j, "m", INT64_MIN, INT64_MAX).ok());
}

TEST(GetNumber, ReadsIntegersAndFractionsWithinRange) {
  const json j{{"f", 12.5}, {"i", 7}, {"neg", -0.5}, {"big", UINT64_MAX}, {"text", "1"}, {"nan", std::nan("")}};
  EXPECT_EQ(*get_number(j, "f", 0, 100), 12.5);
  EXPECT_EQ(*get_number(j, "i", 0, 100), 7.0);
  EXPECT_EQ(*get_number(j, "neg", -1, 0), -0.5);

  auto below = get_number(j, "neg", 0, 100);
  ASSERT_FALSE(below.ok());
  EXPECT_TRUE(contains(below.error().message(), "'neg'")) << below.error().message();
  EXPECT_TRUE(contains(below.error().message(), "out of range")) << below.error().message();
  EXPECT_FALSE(get_number(j, "big", 0, 1e9).ok());
  EXPECT_FALSE(get_number(j, "nan", -1e300, 1e300).ok());

  auto text = get_number(j, "text", 0, 100);
  ASSERT_FALSE(text.ok());
  EXPECT_TRUE(contains(text.error().message(), "'text' must be a number")) << text.error().message();
  EXPECT_TRUE(contains(get_number(j, "gone", 0, 1).error().message(), "'gone' is missing"));
}

TEST(GetBool, AcceptsOnlyBooleans) {
  const json j{{"yes", true}, {"no", false}, {"one", 1}, {"word", "true"}};
  EXPECT_TRUE(*get_bool(j, "yes"));
  EXPECT_FALSE(*get_bool(j, "no"));
  for (const char* key : {"one", "word", "absent"}) {
    auto r = get_bool(j, key);
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_TRUE(contains(r.error().message(), std::string("'") + key + "'")) << r.error().message();
  }
}

TEST(GetString, BoundsTheLength) {
  const json j{{"s", "abcd"}, {"n", 4}};
  EXPECT_EQ(*get_string(j, "s"), "abcd");
  EXPECT_EQ(*get_string(j, "s", 4), "abcd");
  auto long_one = get_string(j, "s", 3);
  ASSERT_FALSE(long_one.ok());
  EXPECT_TRUE(contains(long_one.error().message(), "'s' is longer than 3 bytes")) << long_one.error().message();
  EXPECT_TRUE(contains(get_string(j, "n").error().message(), "'n' must be a string"));
  EXPECT_TRUE(contains(get_string(j, "x").error().message(), "'x' is missing"));
}

TEST(GetStringList, ChecksTypeCountAndItemLength) {
  const json j{{"argv", {"/bin/sh", "-c"}},
               {"mixed", {"a", 1}},
               {"word", "/bin/sh"},
               {"empty", json::array()}};
  EXPECT_EQ(*get_string_list(j, "argv", 8, 64), (std::vector<std::string>{"/bin/sh", "-c"}));
  EXPECT_TRUE(get_string_list(j, "empty", 8, 64)->empty());

  auto too_many = get_string_list(j, "argv", 1, 64);
  ASSERT_FALSE(too_many.ok());
  EXPECT_TRUE(contains(too_many.error().message(), "'argv' has more than 1 items")) << too_many.error().message();

  auto too_long = get_string_list(j, "argv", 8, 3);
  ASSERT_FALSE(too_long.ok());
  EXPECT_TRUE(contains(too_long.error().message(), "'argv'")) << too_long.error().message();

  EXPECT_TRUE(contains(get_string_list(j, "mixed", 8, 64).error().message(), "'mixed' must contain only strings"));
  EXPECT_TRUE(contains(get_string_list(j, "word", 8, 64).error().message(), "'word' must be a list"));
  EXPECT_TRUE(contains(get_string_list(j, "none", 8, 64).error().message(), "'none' is missing"));
}

TEST(GetStringMap, ChecksTypeCountAndEntryLength) {
  const json j{{"env", {{"A", "1"}, {"B", "2"}}}, {"bad", {{"A", 1}}}, {"list", {"A=1"}}};
  auto env = get_string_map(j, "env", 8, 64);
  ASSERT_TRUE(env.ok()) << env.error().message();
  EXPECT_EQ(env->at("A"), "1");
  EXPECT_EQ(env->at("B"), "2");

  EXPECT_TRUE(contains(get_string_map(j, "env", 1, 64).error().message(), "'env' has more than 1 entries"));
  auto bad = get_string_map(j, "bad", 8, 64);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message(), "'bad' entry 'A' must be a string")) << bad.error().message();
  EXPECT_TRUE(contains(get_string_map(j, "list", 8, 64).error().message(), "'list' must be an object"));

  const json long_key{{"env", {{"LONGKEY", "1"}}}};
  EXPECT_FALSE(get_string_map(long_key, "env", 8, 4).ok());
  const json long_value{{"env", {{"K", "long value"}}}};
  EXPECT_FALSE(get_string_map(long_value, "env", 8, 4).ok());
}

TEST(GetObject, AcceptsOnlyObjects) {
  const json j{{"o", {{"x", 1}}}, {"a", json::array()}};
  EXPECT_EQ((*get_object(j, "o"))["x"], 1);
  EXPECT_TRUE(contains(get_object(j, "a").error().message(), "'a' must be an object"));
  EXPECT_TRUE(contains(get_object(j, "z").error().message(), "'z' is missing"));
}

TEST(Has, FindsKeysOnlyInObjects) {
  const json j{{"present", nullptr}};
  EXPECT_TRUE(has(j, "present"));
  EXPECT_FALSE(has(j, "absent"));
  EXPECT_FALSE(has(json::array({"present"}), "present"));
  EXPECT_FALSE(has(json("present"), "present"));
}

// ---- validate_name ---------------------------------------------------------

TEST(ValidateName, AcceptsLettersDigitsAndPunctuationUpTo64) {
  for (const std::string& name : {std::string("a"), std::string("fn-1"), std::string("A_b.c-9"),
                                 std::string("trailing."), std::string("x..y"), std::string(64, 'n')}) {
    Status s = validate_name("instance name", name);
    EXPECT_TRUE(s.ok()) << name << ": " << s.error().message();
  }
}

TEST(ValidateName, RejectsUnsafeOrOddNames) {
  for (const std::string& name :
       {std::string(""), std::string(65, 'n'), std::string(".hidden"), std::string("."), std::string(".."),
        std::string("a/b"), std::string("/abs"), std::string("../x"), std::string("with space"),
        std::string(" lead"), std::string("tab\there"), std::string("new\nline"), std::string("semi;colon"),
        std::string("$(id)"), std::string("caf\xc3\xa9"), std::string("nul\0byte", 8)}) {
    EXPECT_FALSE(validate_name("instance name", name).ok()) << "accepted '" << name << "'";
  }
}

TEST(ValidateName, ErrorSaysWhatKindOfName) {
  Status s = validate_name("VM name", "../etc");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error().message(), "invalid VM name '../etc'")) << s.error().message();
}

}  // namespace
}  // namespace hotmem::protocol
