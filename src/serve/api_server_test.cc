// The REST API's answers to bad input, without booting anything: every bad
// request gets a 4xx with {"error", "detail"} and the daemon keeps serving.
#include "serve/api_server.h"

#include <httplib.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/socket.h"
#include "common/temp_dir.h"
#include "host/testing/scratch_dir.h"
#include "serve/api_auth.h"
#include "serve/dashboard.h"
#include "serve/dashboard_check_for_test.h"
#include "serve/openwhisk_api.h"

namespace hotmem::serve {
namespace {

class ApiServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    host::FunctionVmConfig vm;
    vm.image_dir = "/nonexistent/hotmem-image";  // deployments fail fast
    registry_ = std::make_unique<FunctionRegistry>(vm, metrics_, broker_, 4);
    ApiLimits limits;
    limits.max_body_bytes = 64 * 1024;
    OpenWhiskConfig openwhisk;
    openwhisk.key = OpenWhiskKey{kOwUuid, kOwKey};
    openwhisk.workers = 2;
    openwhisk_ = std::make_unique<OpenWhiskApi>(openwhisk, *registry_, activations_, limits);
    api_ = std::make_unique<ApiServer>(*registry_, metrics_, activations_, limits, openwhisk_.get());
    configure(*api_);
    ASSERT_TRUE(api_->bind("127.0.0.1", 0));
    server_ = std::thread([this] { (void)api_->run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", api_->port());
    client_->set_read_timeout(10, 0);
    for (int i = 0; i < 100 && !client_->Get("/v1/functions"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  void TearDown() override {
    openwhisk_->close();
    api_->stop();
    server_.join();
    openwhisk_->stop();
  }
  static constexpr const char* kOwUuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
  static constexpr const char* kOwKey = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";
  // What a test's daemon sets up before it serves.
  virtual void configure(ApiServer&) {}

  // Sends a request; returns status and parsed body.
  std::pair<int, json> send(const std::string& method, const std::string& path, const std::string& body = "") {
    httplib::Result r = method == "GET"    ? client_->Get(path)
                        : method == "PUT"  ? client_->Put(path, body, "application/json")
                        : method == "POST" ? client_->Post(path, body, "application/json")
                        : method == "DELETE" ? client_->Delete(path)
                                             : client_->Patch(path, body, "application/json");
    if (!r) return {0, json()};
    return {r->status, json::parse(r->body, nullptr, false)};
  }

  Metrics metrics_;
  ActivationStore activations_{ActivationLimits{3, 1024, 4096}};
  MemoryBroker broker_{unlimited_budget(), metrics_};
  std::unique_ptr<FunctionRegistry> registry_;
  std::unique_ptr<OpenWhiskApi> openwhisk_;  // outlives api_
  std::unique_ptr<ApiServer> api_;
  std::thread server_;
  std::unique_ptr<httplib::Client> client_;
};

struct BadRequest {
  std::string method, path, body;
  int status;
  std::string error;
};

TEST(QueryNumber, IsOneToNineDigitsAndNothingElse) {
  EXPECT_EQ(query_number("0"), 0u);
  EXPECT_EQ(query_number("200"), 200u);
  EXPECT_EQ(query_number("999999999"), 999999999u);
  for (const char* bad : {"", "-1", "+1", "1.5", "1e3", " 1", "0x10", "1000000000"}) {
    EXPECT_FALSE(query_number(bad)) << bad;
  }
}

TEST_F(ApiServerTest, EveryBadRequestGetsA4xxWithAClearErrorAndTheDaemonKeepsServing) {
  const std::vector<BadRequest> table{
      {"PUT", "/v1/functions/f", "{nope", 400, "malformed JSON"},
      {"PUT", "/v1/functions/f", "[1,2]", 400, "malformed JSON"},
      {"PUT", "/v1/functions/f", R"({"memory_mib": "lots"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"memory_mib": 1})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"memory_mib": 1e9})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"concurrency": 0})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"concurrency": 65})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"vcpus": -1})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"mode": "zram"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"runtime": "cobol"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"runtime": "python"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"command": "rm -rf /"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"command": ["relative/path"]})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"unknown_field": 1})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"model": "2:1"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"model": "1:1", "mode": "hotmem"})", 400, "invalid function"},
      {"PUT", "/v1/functions/f", R"({"model": "1:1", "vcpus": 2})", 400, "invalid function"},
      {"PUT", "/v1/functions/f;rm%20-rf", "{}", 400, "bad function name"},
      {"PUT", "/v1/functions/%2e%2e", "{}", 400, "bad function name"},
      {"PUT", "/v1/functions/.hidden", "{}", 400, "bad function name"},
      {"PUT", "/v1/functions/" + std::string(65, 'a'), "{}", 400, "bad function name"},
      {"PUT", "/v1/functions/f", std::string(70 * 1024, ' '), 413, "body too large"},
      {"POST", "/v1/functions/nothere/invoke", "{}", 404, "unknown function"},
      {"POST", "/v1/functions/nothere/invoke", "{bad", 400, "malformed JSON"},
      {"GET", "/v1/functions/nothere", "", 404, "unknown function"},
      {"DELETE", "/v1/functions/nothere", "", 404, "unknown function"},
      {"GET", "/v2/elsewhere", "", 404, "not found"},
      {"GET", "/v1/functions/nothere/activations", "", 404, "unknown function"},
      {"GET", "/v1/functions/bad;name/activations", "", 400, "bad function name"},
      {"GET", "/v1/functions/f/activations?limit=0", "", 400, "bad limit"},
      {"GET", "/v1/functions/f/activations?limit=-1", "", 400, "bad limit"},
      {"GET", "/v1/functions/f/activations?limit=ten", "", 400, "bad limit"},
      {"GET", "/v1/functions/f/activations?limit=", "", 400, "bad limit"},
      {"GET", "/v1/functions/f/activations?limit=99999999999", "", 400, "bad limit"},
      {"GET", "/v1/activations/nothex", "", 400, "bad activation id"},
      {"GET", "/v1/activations/" + std::string(32, 'G'), "", 400, "bad activation id"},
      {"GET", "/v1/activations/" + std::string(33, 'a'), "", 400, "bad activation id"},
      {"GET", "/v1/activations/" + std::string(32, 'A'), "", 400, "bad activation id"},
      {"GET", "/v1/activations/" + std::string(32, 'a'), "", 404, "unknown activation"},
      {"GET", "/v1/activations/" + std::string(32, 'a') + "/logs", "", 404, "unknown activation"},
      {"GET", "/v1/activations/x/logs", "", 400, "bad activation id"},
      {"POST", "/v1/activations/" + std::string(32, 'a'), "{}", 404, "not found"},
      {"PATCH", "/v1/functions/f", "{}", 404, "not found"},
  };
  for (const BadRequest& bad : table) {
    auto [status, body] = send(bad.method, bad.path, bad.body);
    EXPECT_EQ(status, bad.status) << bad.method << " " << bad.path << " " << bad.body.substr(0, 60);
    ASSERT_TRUE(body.is_object()) << bad.method << " " << bad.path << ": not JSON";
    EXPECT_EQ(body.value("error", ""), bad.error) << bad.method << " " << bad.path << " " << body.dump();
    EXPECT_FALSE(body.value("detail", "").empty()) << bad.method << " " << bad.path;
    auto [alive, list] = send("GET", "/v1/functions");
    ASSERT_EQ(alive, 200) << "the daemon stopped answering after " << bad.method << " " << bad.path;
  }
}

// A 1:1 function boots nothing when deployed, so it deploys even here; its
// first invocation fails (no image to boot its VM from) and gives back the
// memory its VM was admitted with.
TEST_F(ApiServerTest, AOneToOneFunctionDeploysWithoutAVmAndAFailedBootGivesItsMemoryBack) {
  auto [status, deployed] = send("PUT", "/v1/functions/solo", R"({"model": "1:1", "memory_mib": 256})");
  ASSERT_EQ(status, 201) << deployed.dump();
  EXPECT_EQ(deployed["function"]["model"], "1:1");
  EXPECT_EQ(deployed["function"]["mode"], "static");
  EXPECT_EQ(deployed["instance_vm"]["vcpus"], 1);
  EXPECT_EQ(deployed["instance_vm"]["boot_memory_bytes"], (192 + 256) * kMiB);  // the guest's least, and the instance's
  EXPECT_TRUE(is_idle(deployed));
  auto [listed, functions] = send("GET", "/v1/functions");
  ASSERT_EQ(listed, 200);
  EXPECT_EQ(functions["functions"][0]["model"], "1:1");
  EXPECT_EQ(functions["functions"][0]["state"], "ready");
  EXPECT_EQ(send("GET", "/v1/memory").second["committed_bytes"], 0);

  auto failed_call = client_->Post("/v1/functions/solo/invoke", "{}", "application/json");
  ASSERT_TRUE(failed_call);
  const int failed = failed_call->status;
  const json error = json::parse(failed_call->body, nullptr, false);
  EXPECT_EQ(failed, 503) << error.dump();
  EXPECT_EQ(error.value("error", ""), "function unavailable");
  // Even a failed invocation has its activation, in the header and the body.
  const std::string id = failed_call->get_header_value("X-Activation-Id");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(error.value("activation_id", ""), id) << error.dump();
  auto [got, record] = send("GET", "/v1/activations/" + id);
  EXPECT_EQ(got, 200) << record.dump();
  EXPECT_EQ(record.value("status", ""), "internal error");
  EXPECT_EQ(record.value("function", ""), "solo");
  EXPECT_NE(record.value("error", "").find("boot the VM of 'solo'"), std::string::npos) << record.dump();
  auto [listed_activations, activations] = send("GET", "/v1/functions/solo/activations");
  EXPECT_EQ(listed_activations, 200);
  ASSERT_EQ(activations["activations"].size(), 1u) << activations.dump();
  EXPECT_EQ(activations["activations"][0]["activation_id"], id);
  EXPECT_NE(error.value("detail", "").find("boot the VM of 'solo'"), std::string::npos) << error.dump();
  const json after = send("GET", "/v1/functions/solo").second;
  EXPECT_TRUE(is_idle(after));
  // A failed invocation has no latency to show.
  EXPECT_EQ(after["latency"]["invocations"], 0) << after.dump();
  EXPECT_TRUE(after["latency"]["recent"].empty()) << after.dump();
  EXPECT_EQ(send("GET", "/v1/memory").second["committed_bytes"], 0);
  EXPECT_EQ(send("DELETE", "/v1/functions/solo").first, 200);
  EXPECT_EQ(send("GET", "/v1/activations/" + id).first, 404) << "a deleted function's activations stay";
}

// Records as the store holds them, read back through every route: the
// list newest first and as long as asked, one record with its logs, its
// logs alone.
TEST_F(ApiServerTest, ActivationsAreListedNewestFirstAndReadWithTheirLogs) {
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {  // the store keeps 3
    Activation a;
    a.id = activations_.new_id();
    a.function = "f";
    a.status = i == 3 ? kActivationApplicationError : kActivationSuccess;
    a.cold = i == 0;
    a.instance = "i1";
    a.action_status = i == 3 ? 502 : 200;
    a.logs = {"2026-11-29T11:00:00.000Z stdout: line " + std::to_string(i)};
    a.logs_truncated = i == 3;
    ids.push_back(a.id);
    activations_.record(a);
  }
  auto [status, list] = send("GET", "/v1/functions/f/activations");
  ASSERT_EQ(status, 200) << list.dump();
  ASSERT_EQ(list["activations"].size(), 3u);
  EXPECT_EQ(list["activations"][0]["activation_id"], ids[3]);
  EXPECT_EQ(list["activations"][0]["status"], "application error");
  EXPECT_FALSE(list["activations"][0].contains("logs")) << "a list carries summaries";
  EXPECT_EQ(list["activations"][2]["activation_id"], ids[1]);
  auto [limited, two] = send("GET", "/v1/functions/f/activations?limit=2");
  EXPECT_EQ(limited, 200);
  EXPECT_EQ(two["activations"].size(), 2u);

  auto [found, record] = send("GET", "/v1/activations/" + ids[3]);
  ASSERT_EQ(found, 200) << record.dump();
  EXPECT_EQ(record["action_status"], 502);
  EXPECT_EQ(record["logs"], json::array({"2026-11-29T11:00:00.000Z stdout: line 3"}));
  EXPECT_EQ(record["logs_truncated"], true);
  auto [logged, logs] = send("GET", "/v1/activations/" + ids[3] + "/logs");
  ASSERT_EQ(logged, 200) << logs.dump();
  EXPECT_EQ(logs["logs"], record["logs"]);
  EXPECT_EQ(logs["truncated"], true);
  EXPECT_EQ(send("GET", "/v1/activations/" + ids[0]).first, 404) << "the oldest left the ring";
}

// GET / is the dashboard: the page as built in, HTML, with a policy that
// lets it fetch nothing but this daemon; and it loads nothing from elsewhere.
TEST_F(ApiServerTest, TheRootIsTheDashboardPage) {
  auto r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->get_header_value("Content-Type").starts_with("text/html")) << r->get_header_value("Content-Type");
  EXPECT_EQ(r->body, dashboard_html());
  EXPECT_NE(r->body.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(r->body.find("/v1/functions"), std::string::npos) << "the page does not poll the API";
  EXPECT_NE(r->body.find("/v1/memory"), std::string::npos) << "the page does not poll the budget";
  EXPECT_NE(r->body.find("Authorization"), std::string::npos) << "the page cannot send a token";
  for (const char* fetches : {"src=", "<link", "@import", "url(", "https://"}) {
    EXPECT_EQ(r->body.find(fetches), std::string::npos) << "the page loads something from elsewhere: " << fetches;
  }
  const std::string policy = r->get_header_value("Content-Security-Policy");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("connect-src 'self'"), std::string::npos) << policy;
  EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
  auto head = client_->Head("/");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
}

TEST(HttpStatus, EachKindOfErrorHasItsStatus) {
  EXPECT_EQ(http_status(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(http_status(ErrorCode::kNotFound), 404);
  EXPECT_EQ(http_status(ErrorCode::kConflict), 409);
  EXPECT_EQ(http_status(ErrorCode::kResourceExhausted), 429);
  EXPECT_EQ(http_status(ErrorCode::kInternal), 500);
  EXPECT_EQ(http_status(ErrorCode::kGuestMisbehaved), 502);
  EXPECT_EQ(http_status(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(http_status(ErrorCode::kUnauthenticated), 401);
}

TEST_F(ApiServerTest, AnErrorNamesItsKind) {
  auto [missing, unknown] = send("GET", "/v1/functions/nothere", "");
  EXPECT_EQ(missing, 404);
  EXPECT_EQ(unknown.value("code", ""), "not_found") << unknown.dump();
  auto [bad, invalid] = send("PUT", "/v1/functions/f", R"({"concurrency": 0})");
  EXPECT_EQ(bad, 400);
  EXPECT_EQ(invalid.value("code", ""), "invalid_argument") << invalid.dump();
}

TEST_F(ApiServerTest, AFailedDeploymentSaysWhyAndFreesTheName) {
  auto [status, body] = send("PUT", "/v1/functions/f", "{}");
  EXPECT_EQ(status, 500);
  EXPECT_EQ(body.value("error", ""), "deployment failed");
  EXPECT_NE(body.value("detail", "").find("/nonexistent/hotmem-image"), std::string::npos) << body.dump();
  auto [listed, list] = send("GET", "/v1/functions");
  EXPECT_EQ(listed, 200);
  EXPECT_TRUE(list["functions"].empty());
}

TEST_F(ApiServerTest, MetricsAreServedAsPrometheusText) {
  metrics_.add(kInvocations, "f", 3);
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("hotmem_invocations_total{function=\"f\"} 3"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("# TYPE hotmem_reclaim_seconds histogram"), std::string::npos);
}

// The operations under `paths:` of an OpenAPI document laid out as
// docs/openapi.yaml says: path keys at two spaces, their methods at four.
// (Only these keys are needed, so no YAML library.)
std::set<ApiRoute> openapi_operations(const std::string& yaml) {
  static const std::set<std::string> methods{"get", "put", "post", "delete", "patch", "head", "options"};
  std::set<ApiRoute> operations;
  std::istringstream in(yaml);
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    const std::size_t colon = line.find(':', indent);
    std::string key = line.substr(indent, colon == std::string::npos ? std::string::npos : colon - indent);
    if (key.size() >= 2 && (key.front() == '"' || key.front() == '\'')) key = key.substr(1, key.size() - 2);
    if (indent == 0) {
      in_paths = key == "paths";
    } else if (in_paths && indent == 2) {
      path = key;
    } else if (in_paths && indent == 4 && methods.contains(key)) {
      std::string method = key;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      operations.insert(ApiRoute{method, path});
    }
  }
  return operations;
}

TEST(ApiServerOpenApi, TheReaderFindsPathsAndMethodsOnly) {
  const auto ops = openapi_operations(
      "openapi: 3.0.3\npaths:\n  /a:\n    get:\n      responses: {}\n    parameters:\n      - x\n"
      "  \"/b/{id}\":\n    # a comment\n    delete:\n      summary: get: no\ncomponents:\n  /c:\n    get: {}\n");
  EXPECT_EQ(ops, (std::set<ApiRoute>{{"GET", "/a"}, {"DELETE", "/b/{id}"}}));
}

// docs/openapi.yaml against the server: every route registered is
// documented, and every documented operation is served. A path parameter
// gets a name no function has, so a handler may well answer 404 (no such
// function): what must not come is the router's own 404 ("no route for").
TEST_F(ApiServerTest, EveryRouteIsInTheOpenApiDocumentAndEveryOperationThereIsServed) {
  const std::string file = (std::filesystem::path(HOTMEM_DATA_DIR).parent_path() / "docs/openapi.yaml").string();
  std::ifstream in(file);
  ASSERT_TRUE(in) << "cannot read " << file;
  const std::string yaml((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::set<ApiRoute> documented = openapi_operations(yaml);
  ASSERT_FALSE(api_->routes().empty());
  for (const ApiRoute& route : api_->routes()) {
    EXPECT_TRUE(documented.contains(route)) << route.method << " " << route.path << " is served but not in " << file;
  }
  static const std::regex parameter(R"(\{[^/{}]+\})");
  for (const ApiRoute& op : documented) {
    const std::string path = std::regex_replace(op.path, parameter, "nosuchfunction");
    auto [status, body] = send(op.method, path, "{}");
    const std::string what = op.method + " " + path;
    ASSERT_NE(status, 0) << "no answer to " << what;
    const bool unrouted = status == 404 && body.is_object() && body.value("detail", "").starts_with("no route for");
    EXPECT_FALSE(unrouted) << what << " is in " << file << " but not served: " << body.dump();
  }
}

// Requests made up at random (seeded: a failure reproduces) from pieces
// that are often nearly right: every answer is JSON with an error and a
// detail, a 4xx unless the request was in fact valid, and the daemon keeps
// answering.
TEST_F(ApiServerTest, RandomRequestsNeverGetAnythingButAClearAnswer) {
  std::mt19937 rng(20261126);
  auto pick = [&rng](const auto& options) { return options[rng() % options.size()]; };
  const std::vector<std::string> methods{"GET", "PUT", "POST", "DELETE", "PATCH"};
  const std::vector<std::string> names{"f", "..", "%2e%2e%2f", "a/b", "%00", "x%20y", "Ünï", "", "-", "a.b",
                                       std::string(64, 'n'), std::string(300, 'n'), "%ff%fe", "f?x=1", "f#frag"};
  const std::vector<std::string> suffixes{"", "/invoke", "/invoke/", "/../../etc/passwd", "/x", "//"};
  const std::vector<std::string> keys{"runtime", "memory_mib", "concurrency", "vcpus", "mode", "keep_alive_s",
                                      "command", "code", "main", "bogus", ""};
  const std::vector<json> values{json(nullptr), json(-1), json(0), json(1e308), json("native"), json("python"),
                                 json("hotmem"), json(true), json::array(), json::object(), json("/bin/true"),
                                 json(std::string(2000, 'z')), json::array({"/bin/sh", "-c", "id"})};
  auto body = [&]() -> std::string {
    switch (rng() % 6) {
      case 0: return "";
      case 1: {
        std::string junk(rng() % 200, ' ');
        for (char& c : junk) c = static_cast<char>(rng() % 256);
        return junk;
      }
      case 2: return "{\"memory_mib\": 12" + std::string(rng() % 4, '}');
      default: {
        json j = json::object();
        for (unsigned i = rng() % 5; i > 0; --i) j[pick(keys)] = pick(values);
        return rng() % 8 == 0 ? j.dump().substr(0, j.dump().size() / 2) : j.dump();
      }
    }
  };
  int answered = 0;
  for (int i = 0; i < 1500; ++i) {
    const std::string method = pick(methods);
    const std::string path = "/v1/functions/" + pick(names) + pick(suffixes);
    const std::string sent = body();
    auto [status, answer] = send(method, path, sent);
    const std::string what = method + " " + path + " " + sent.substr(0, 80);
    ASSERT_NE(status, 0) << "no answer to " << what;
    ++answered;
    if (status == 200 || status == 201) continue;  // it happened to be valid (e.g. GET of the list)
    ASSERT_TRUE(answer.is_object()) << what << " -> " << status << ": not JSON";
    EXPECT_FALSE(answer.value("error", "").empty()) << what;
    EXPECT_FALSE(answer.value("detail", "").empty()) << what;
    // A 5xx only for a valid deployment that this test's VM cannot boot.
    if (status >= 500) EXPECT_EQ(answer.value("error", ""), "deployment failed") << what << " -> " << status;
    else EXPECT_GE(status, 400) << what;
  }
  EXPECT_EQ(answered, 1500);
  auto [alive, list] = send("GET", "/v1/functions");
  EXPECT_EQ(alive, 200);
  EXPECT_TRUE(list["functions"].empty()) << list.dump();
}

// A daemon with a token answers only requests that carry it, before any
// route: without it, 401 with the API's error shape and WWW-Authenticate.
class ApiServerTokenTest : public ApiServerTest {
 protected:
  static constexpr const char* kToken = "t0ken-for-the-api-test";
  void configure(ApiServer& api) override { api.require_token(kToken); }

  // Status, body and WWW-Authenticate of a GET with this Authorization header (none when empty).
  std::tuple<int, json, std::string> get_with(const std::string& path, const std::string& authorization) {
    httplib::Headers headers;
    if (!authorization.empty()) headers.emplace("Authorization", authorization);
    auto r = client_->Get(path, headers);
    if (!r) return {0, json(), ""};
    return {r->status, json::parse(r->body, nullptr, false), r->get_header_value("WWW-Authenticate")};
  }
};

TEST_F(ApiServerTokenTest, ARequestWithoutTheRightBearerTokenGets401) {
  const std::vector<std::pair<std::string, std::string>> refused{
      {"no header", ""},
      {"wrong token", "Bearer not-the-t0ken"},
      {"the token's prefix", std::string("Bearer ") + std::string(kToken).substr(0, 5)},
      {"the token and more", std::string("Bearer ") + kToken + "x"},
      {"wrong scheme", std::string("Basic ") + kToken},
      {"no scheme", kToken},
  };
  for (const std::string path : {"/v1/functions", "/v1/functions/f", "/v1/memory", "/metrics", "/v2/no-such-route"}) {
    for (const auto& [what, authorization] : refused) {
      auto [status, body, challenge] = get_with(path, authorization);
      EXPECT_EQ(status, 401) << path << ", " << what;
      EXPECT_TRUE(challenge.starts_with("Bearer")) << path << ", " << what << ": '" << challenge << "'";
      ASSERT_TRUE(body.is_object()) << path << ", " << what << ": not JSON";
      EXPECT_EQ(body.value("error", ""), "unauthorized") << body.dump();
      EXPECT_EQ(body.value("code", ""), "unauthenticated") << body.dump();
      EXPECT_FALSE(body.value("detail", "").empty()) << body.dump();
      EXPECT_EQ(body.dump().find(kToken), std::string::npos) << "an answer gave the token away";
    }
  }
}

TEST_F(ApiServerTokenTest, TheRightTokenIsServedOnEveryRouteMetricsIncluded) {
  const std::string bearer = std::string("Bearer ") + kToken;
  auto [listed, list, none] = get_with("/v1/functions", bearer);
  EXPECT_EQ(listed, 200) << list.dump();
  EXPECT_TRUE(none.empty());
  auto [missing, unknown, none2] = get_with("/v1/functions/nothere", "bearer " + std::string(kToken));
  EXPECT_EQ(missing, 404) << unknown.dump();
  auto [scraped, text, none3] = get_with("/metrics", bearer);
  EXPECT_EQ(scraped, 200);
}

// The dashboard's page holds no data, and a browser opening it sends no
// token: it is served without one. Everything it reads still needs the token.
TEST_F(ApiServerTokenTest, TheDashboardPageIsServedWithoutATokenAndNothingElseIs) {
  auto page = client_->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->body, dashboard_html());
  EXPECT_EQ(page->body.find(kToken), std::string::npos);
  auto head = client_->Head("/");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  for (const std::string path : {"/v1/functions", "/v1/memory", "//", "/index.html"}) {
    auto [status, body, challenge] = get_with(path, "");
    EXPECT_EQ(status, 401) << path;
  }
  auto posted = client_->Post("/", "{}", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 401) << "only GET and HEAD of the page are public";
  EXPECT_TRUE(is_public_page("GET", "/"));
  EXPECT_TRUE(is_public_page("HEAD", "/"));
  EXPECT_FALSE(is_public_page("POST", "/"));
  EXPECT_FALSE(is_public_page("GET", "/v1/memory"));
  EXPECT_FALSE(is_public_page("GET", ""));
}

// The page in headless Chromium against this daemon (no VM: no function is
// deployed): given the token in the URL's fragment it polls the API with
// it; without one it polls nothing and shows the form that asks for it.
TEST_F(ApiServerTokenTest, TheDashboardInChromiumPollsWithTheTokenOfItsFragmentAndAsksForItWithout) {
  auto dir = host::scratch_dir("dashboard-token");
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string url = fmt::format("http://127.0.0.1:{}/", api_->port());
  auto with = testing::view_dashboard(url + "#token=" + kToken, dir->path() / "with", false);
  ASSERT_TRUE(with) << with.error().message();
  EXPECT_GE(with->polls, 1) << with->dom.substr(0, 3000);
  EXPECT_EQ(with->error, "");
  EXPECT_NE(with->dom.find("No function deployed"), std::string::npos);
  EXPECT_EQ(with->dom.find(kToken), std::string::npos) << "the token was written into the page";

  auto without = testing::view_dashboard(url, dir->path() / "without", false);
  ASSERT_TRUE(without) << without.error().message();
  EXPECT_EQ(without->polls, 0);
  EXPECT_EQ(without->error, "unauthorized");
  EXPECT_NE(without->dom.find(R"(id="auth" style="display: block;")"), std::string::npos)
      << "the page does not ask for the token";
}

TEST_F(ApiServerTokenTest, ARefusedRequestWithABodyDoesNotSpoilTheConnection) {
  client_->set_keep_alive(true);
  auto refused = client_->Put("/v1/functions/f", R"({"memory_mib": 64})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  client_->set_bearer_token_auth(kToken);
  for (int i = 0; i < 3; ++i) {
    auto r = client_->Get("/v1/functions");
    ASSERT_TRUE(r) << "request " << i << " after the refusal got no answer";
    EXPECT_EQ(r->status, 200) << r->body;
  }
  client_->stop();  // a kept-alive connection would hold the server's stop for its timeout
}

// A socket file left by a killed daemon does not keep the next one from
// listening; one a running daemon answers on does.
TEST(ApiServerSocket, AStaleUnixSocketIsReplacedAndALiveOneIsNot) {
  auto dir = host::scratch_dir("api-socket");
  ASSERT_TRUE(dir) << dir.error().message();
  const std::string path = (dir->path() / "api.sock").string();
  {
    auto stale = listen_unix(path);  // closed at the end of this block, its file stays
    ASSERT_TRUE(stale) << stale.error().message();
  }
  ASSERT_TRUE(std::filesystem::exists(path));
  host::FunctionVmConfig vm;
  Metrics metrics;
  MemoryBroker broker(unlimited_budget(), metrics);
  FunctionRegistry registry(vm, metrics, broker, 1);
  ActivationStore activations;
  ApiServer first(registry, metrics, activations);
  ASSERT_TRUE(first.bind("", 0, path)) << "a stale socket file kept the daemon from listening";
  std::thread serving([&first] { (void)first.run(); });
  for (int i = 0; i < 100 && !connect_unix(path, Deadline(std::chrono::milliseconds(0))); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ApiServer second(registry, metrics, activations);
  Status taken = second.bind("", 0, path);
  ASSERT_FALSE(taken) << "two daemons on one socket";
  EXPECT_NE(taken.error().message().find("another daemon listens"), std::string::npos) << taken.error().message();
  first.stop();
  serving.join();
}

}  // namespace
}  // namespace hotmem::serve

namespace hotmem::serve {
namespace {

// OpenWhisk's API without a VM: its key, its namespaces, its errors'
// shape ({"error": a sentence, "code"}), and URLs ending in a bare '?' as
// the npm client sends them.
TEST_F(ApiServerTest, TheOpenWhiskApiAsksForItsKeyAndAnswersInOpenWhisksShape) {
  auto ow = [this](const std::string& method, const std::string& path, const std::string& auth,
                   const std::string& body = "") {
    httplib::Headers headers;
    if (!auth.empty()) {
      const std::size_t colon = auth.find(':');
      headers.insert(httplib::make_basic_authentication_header(auth.substr(0, colon), auth.substr(colon + 1)));
    }
    httplib::Result r = method == "GET"   ? client_->Get(path, headers)
                        : method == "PUT" ? client_->Put(path, headers, body, "application/json")
                        : method == "POST" ? client_->Post(path, headers, body, "application/json")
                                           : client_->Delete(path, headers);
    EXPECT_TRUE(r) << method << " " << path;
    if (!r) return std::tuple(0, json(), std::string());
    return std::tuple(r->status, json::parse(r->body, nullptr, false), r->get_header_value("WWW-Authenticate"));
  };
  const std::string key = std::string(kOwUuid) + ":" + kOwKey;
  const std::string actions = "/api/v1/namespaces/_/actions";

  auto [status, body, challenge] = ow("GET", actions, "");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(body.value("error", ""), "The resource requires authentication, which was not supplied with the request");
  EXPECT_TRUE(body.contains("code"));
  EXPECT_EQ(challenge, R"(Basic realm="OpenWhisk secure realm")");
  std::tie(status, body, challenge) = ow("GET", actions, std::string(kOwUuid) + ":wrong");
  EXPECT_EQ(status, 401);
  EXPECT_EQ(body.value("error", ""), "The supplied authentication is invalid");
  // The native API's Bearer auth is not OpenWhisk's, nor the other way round.
  EXPECT_EQ(send("GET", actions).first, 401);

  std::tie(status, body, challenge) = ow("GET", "/api/v1/namespaces", key);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::array({"guest"}));
  EXPECT_EQ(std::get<0>(ow("GET", actions + "?", key)), 200);
  EXPECT_EQ(std::get<0>(ow("GET", "/api/v1/namespaces/guest/actions?limit=5", key)), 200);
  EXPECT_EQ(std::get<0>(ow("GET", "/api/v1/namespaces/other/actions", key)), 403);

  std::tie(status, body, challenge) = ow("GET", actions + "/nosuch?", key);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(body.value("error", ""), "The requested resource does not exist.");
  EXPECT_EQ(std::get<0>(ow("POST", actions + "/nosuch?blocking=true", key, "{}")), 404);
  EXPECT_EQ(std::get<0>(ow("DELETE", actions + "/nosuch", key)), 404);
  EXPECT_EQ(std::get<0>(ow("GET", actions + "/pkg/nosuch/x", key)), 404);
  EXPECT_EQ(std::get<0>(ow("POST", actions + "/nosuch?blocking=true&timeout=70000", key, "{}")), 400);

  std::tie(status, body, challenge) = ow("PUT", actions + "/js?", key,
                                         R"({"exec": {"kind": "nodejs:default", "code": "x"}})");
  EXPECT_EQ(status, 400);
  EXPECT_TRUE(body.value("error", "").starts_with("The specified runtime 'nodejs:default' is not supported"))
      << body.dump();
  for (const char* bad : {"", "[1]", "{\"exec\": 3}", "{\"exec\": {\"kind\": \"python:3\"}}", "{nope",
                          R"({"exec": {"kind": "python:3", "code": "x"}, "limits": {"memory": "big"}})"}) {
    std::tie(status, body, challenge) = ow("PUT", actions + "/bad", key, bad);
    EXPECT_EQ(status, 400) << bad;
    EXPECT_TRUE(body.value("error", "") != "") << bad << ": " << body.dump();
  }
  // A valid action whose VM cannot boot here (no image): the registry's error, in OpenWhisk's shape.
  std::tie(status, body, challenge) = ow("PUT", actions + "/py", key,
                                         R"({"exec": {"kind": "python:3", "code": "def main(a): return a"}})");
  EXPECT_GE(status, 400);
  EXPECT_TRUE(body.contains("error") && body.contains("code")) << body.dump();

  const std::string activations = "/api/v1/namespaces/_/activations";
  EXPECT_EQ(std::get<0>(ow("GET", activations + "?limit=500", key)), 400);
  std::tie(status, body, challenge) = ow("GET", activations + "?name=py&limit=3&docs=true", key);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, json::array());
  EXPECT_EQ(std::get<0>(ow("GET", activations + "/xyz", key)), 400);
  EXPECT_EQ(std::get<0>(ow("GET", activations + "/" + std::string(32, 'a') + "/result", key)), 404);
}

// Without --openwhisk-key-file every /api/v1 request is refused, saying
// how to turn the API on.
TEST(OpenWhiskApiWithoutKey, RefusesEveryRequestSayingHowToGiveAKey) {
  Metrics metrics;
  MemoryBroker broker{unlimited_budget(), metrics};
  FunctionRegistry registry(host::FunctionVmConfig{}, metrics, broker, 1);
  ActivationStore activations;
  OpenWhiskApi api(OpenWhiskConfig{}, registry, activations, ApiLimits{});
  httplib::Request req;
  req.path = "/api/v1/namespaces";
  req.headers.emplace("Authorization", "Basic YTpi");
  httplib::Response res;
  EXPECT_TRUE(OpenWhiskApi::owns(req.path));
  EXPECT_FALSE(OpenWhiskApi::owns("/api/v10"));
  EXPECT_TRUE(api.refuse_unauthorized(req, res));
  EXPECT_EQ(res.status, 401);
  EXPECT_NE(res.body.find("--openwhisk-key-file"), std::string::npos) << res.body;
  api.stop();
}

}  // namespace
}  // namespace hotmem::serve
