// `dictlab serve`'s labelling API as a hostile or careless client meets it,
// over real HTTP: serve_site runs in this process over a run folder holding
// only what the API reads (a feature store of 10 features) and a one-page
// site. Who may write (Host, Origin, Content-Type), how much (body and field
// limits), what (UTF-8, strict integers and rubric, the server's clock),
// what the CSV export lets a spreadsheet do, and that idle half-open
// connections do not stall it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <regex>
#include <streambuf>
#include <thread>

#include "dictlab/feature_store.h"
#include "dictlab/label_store.h"
#include "site_server.h"
#include "stop_signal.h"
#include "test_support.h"

namespace dictlab::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kFeatures = 10;

// What serve_site prints, readable while its thread writes (no put area:
// every write takes the lock).
class LockedBuffer : public std::streambuf {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  int_type overflow(int_type c) override {
    std::lock_guard lock(mutex_);
    if (c != traits_type::eof()) text_ += traits_type::to_char_type(c);
    return c;
  }
  std::streamsize xsputn(const char* data, std::streamsize n) override {
    std::lock_guard lock(mutex_);
    text_.append(data, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

// Enough of an answer to see what went wrong, not megabytes of it.
std::string brief(const std::string& text) { return text.size() <= 600 ? text : text.substr(0, 600) + "..."; }

void write_feature_store(const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  auto store = FeatureStore::create(file);
  store.begin();
  for (std::int64_t id = 0; id < kFeatures; ++id)
    store.put({.feature = id, .density = 0.01, .max_activation = 1.0, .mean_activation = 0.5}, 0.5, 0.5, "a");
  store.commit();
}

// One server for the suite: the stop flag serve_site waits on cannot be reset.
class LabellingServer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>();
    write_feature_store(run() / "stages/features" / FeatureStore::kFileName);
    std::filesystem::create_directories(dir_->path() / "site");
    write_text(dir_->path() / "site/index.html", "<!doctype html><title>site</title>\n");
    thread_ = std::thread([] {
      status_ = host::serve_site(dir_->path() / "site", run(), {"features"}, false, "127.0.0.1", 0, out_);
    });
    const std::regex url(R"(http://127\.0\.0\.1:(\d+)/)");
    for (auto start = Clock::now(); port_ == 0 && Clock::now() - start < std::chrono::seconds(20);) {
      std::smatch match;
      const std::string text = printed_.text();
      if (std::regex_search(text, match, url)) port_ = std::stoi(match[1]);
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  static void TearDownTestSuite() {
    host::request_stop();
    thread_.join();
    dir_.reset();
  }
  void SetUp() override { ASSERT_NE(port_, 0) << "serve_site printed no address: " << printed_.text() << status_; }

  static std::filesystem::path run() { return dir_->path() / "run"; }
  static httplib::Client client() {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(std::chrono::seconds(10));
    client.set_read_timeout(std::chrono::seconds(10));
    return client;
  }
  static httplib::Result post(const std::string& path, const std::string& body, const std::string& type,
                              const httplib::Headers& headers = {}) {
    return client().Post(path, headers, body, type);
  }
  static nlohmann::json labels_of(const std::string& author) {
    const auto result = client().Get("/api/labels?author=" + author);
    if (!result || result->status != 200) return {"GET /api/labels failed"};
    return nlohmann::json::parse(result->body)["labels"];
  }
  static std::string error_of(const httplib::Result& result) {
    if (!result) return "(no answer)";
    const auto body = nlohmann::json::parse(result->body, nullptr, false);
    return body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "(no error: " + brief(result->body) + ")";
  }
  static std::string label_json(std::int64_t feature, const std::string& author, const std::string& text) {
    return nlohmann::json{{"feature", feature}, {"author", author}, {"text", text}}.dump();
  }

  static inline std::unique_ptr<TempDir> dir_;
  static inline LockedBuffer printed_;
  static inline std::ostream out_{&printed_};
  static inline std::thread thread_;
  static inline absl::Status status_;
  static inline int port_ = 0;
};

// ---- 4: who may write -------------------------------------------------------

TEST_F(LabellingServer, RefusesAWriteFromAForeignOrigin) {
  const auto foreign = post("/api/labels", label_json(1, "origin-evil", "planted"), "application/json",
                            {{"Origin", "http://evil.example"}});
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403) << brief(foreign->body);
  EXPECT_NE(error_of(foreign).find("http://evil.example"), std::string::npos) << brief(foreign->body);
  const auto blank = post("/api/labels", label_json(1, "origin-evil", "planted"), "application/json", {{"Origin", "null"}});
  ASSERT_TRUE(blank);
  EXPECT_EQ(blank->status, 403) << "a sandboxed page or file:// sends Origin: null";
  EXPECT_EQ(labels_of("origin-evil").size(), 0u);

  const std::string own = "http://127.0.0.1:" + std::to_string(port_);
  const auto same = post("/api/labels", label_json(1, "origin-ok", "mine"), "application/json", {{"Origin", own}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 201) << brief(same->body);
}

TEST_F(LabellingServer, RefusesAHostThatDoesNotNameThisServer) {
  const std::string port = std::to_string(port_);
  for (const auto& host : std::vector<std::string>{"attacker.example:" + port, "attacker.example", "127.0.0.1:1"}) {
    const auto page = client().Get("/index.html", {{"Host", host}});
    ASSERT_TRUE(page) << host;
    EXPECT_EQ(page->status, 421) << host << ": " << brief(page->body);
    EXPECT_NE(error_of(page).find("Host"), std::string::npos) << brief(page->body);
  }
  const auto rebound = post("/api/labels", label_json(2, "rebinder", "planted"), "application/json",
                            {{"Host", "attacker.example:" + port}});
  ASSERT_TRUE(rebound);
  EXPECT_EQ(rebound->status, 421) << brief(rebound->body);
  EXPECT_EQ(labels_of("rebinder").size(), 0u);
  for (const auto& host : std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "LocalHost:" + port}) {
    const auto page = client().Get("/index.html", {{"Host", host}});
    ASSERT_TRUE(page) << host;
    EXPECT_EQ(page->status, 200) << host << ": " << brief(page->body);
  }
}

TEST_F(LabellingServer, TakesOnlyTheContentTypesTheSiteSends) {
  // text/plain is what a page may send anywhere without asking (no CORS preflight).
  const auto plain = post("/api/labels", label_json(3, "typed", "as text"), "text/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->status, 415) << brief(plain->body);
  EXPECT_NE(error_of(plain).find("application/json"), std::string::npos) << brief(plain->body);
  const auto plain_import = post("/api/labels/import", "feature,author,text\n3,typed,as text\n", "text/plain");
  ASSERT_TRUE(plain_import);
  EXPECT_EQ(plain_import->status, 415) << brief(plain_import->body);
  EXPECT_EQ(labels_of("typed").size(), 0u);

  // What host/site/src/data/labelsApi.ts sends.
  const auto json = post("/api/labels", label_json(3, "typed", "as JSON"), "application/json; charset=utf-8");
  ASSERT_TRUE(json);
  EXPECT_EQ(json->status, 201) << brief(json->body);
  const auto csv = post("/api/labels/import", "feature,author,text\n4,typed,from CSV\n", "text/csv");
  ASSERT_TRUE(csv);
  EXPECT_EQ(csv->status, 200) << brief(csv->body);
  const auto jsonl = post("/api/labels/import", label_json(5, "typed", "from JSONL") + "\n", "application/x-ndjson");
  ASSERT_TRUE(jsonl);
  EXPECT_EQ(jsonl->status, 200) << brief(jsonl->body);
  EXPECT_EQ(labels_of("typed").size(), 3u);
}

// ---- 5: how much ------------------------------------------------------------

TEST_F(LabellingServer, RefusesABodyOverOneMebibyte) {
  const auto huge = post("/api/labels", label_json(1, "huge", std::string(2 << 20, 'x')), "application/json");
  ASSERT_TRUE(huge);
  EXPECT_EQ(huge->status, 413);
  EXPECT_NE(error_of(huge).find("1 MiB"), std::string::npos) << brief(huge->body);
  EXPECT_EQ(labels_of("huge").size(), 0u);
}

TEST_F(LabellingServer, RefusesATextOrAuthorOverItsLimit) {
  const auto text = post("/api/labels", label_json(1, "long", std::string(4001, 'x')), "application/json");
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 413);
  EXPECT_EQ(error_of(text), "text: 4001 bytes, at most 4000 are accepted");
  const auto author = post("/api/labels", label_json(1, std::string(101, 'a'), "short"), "application/json");
  ASSERT_TRUE(author);
  EXPECT_EQ(author->status, 413);
  EXPECT_EQ(error_of(author), "author: 101 bytes, at most 100 are accepted");
  const auto imported = post("/api/labels/import", "feature,author,text\n1,long,short\n2,long," + std::string(5000, 'y') + "\n",
                             "text/csv");
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->status, 413);
  EXPECT_EQ(error_of(imported), "row 3, text: 5000 bytes, at most 4000 are accepted");
  EXPECT_EQ(labels_of("long").size(), 0u) << "an import is all or nothing";
  const auto longest = post("/api/labels", label_json(1, "long", std::string(4000, 'x')), "application/json");
  ASSERT_TRUE(longest);
  EXPECT_EQ(longest->status, 201) << brief(longest->body);
}

// ---- 6: UTF-8 ---------------------------------------------------------------

TEST_F(LabellingServer, RefusesALatin1ImportNamingTheRowAndField) {
  const auto latin1 = post("/api/labels/import", "feature,author,text\n1,latin,ok\n2,latin,caf\xe9 au lait\n", "text/csv");
  ASSERT_TRUE(latin1);
  EXPECT_EQ(latin1->status, 400);
  EXPECT_EQ(error_of(latin1), "row 3, text: not UTF-8 (byte 0xE9 at offset 3); save the file as UTF-8");
  const auto jsonl = post("/api/labels/import", "{\"feature\": 1, \"author\": \"latin\", \"text\": \"caf\xe9\"}\n",
                          "application/x-ndjson");
  ASSERT_TRUE(jsonl);
  EXPECT_EQ(jsonl->status, 400);
  EXPECT_EQ(error_of(jsonl).rfind("line 1: not UTF-8", 0), 0u) << brief(jsonl->body);
  EXPECT_EQ(labels_of("latin").size(), 0u);
}

TEST_F(LabellingServer, ServesEveryLabelThoughAStoredRowIsNotUtf8) {
  {  // as an import before this fix left it
    LabelStore store(run() / LabelStore::kFileName);
    store.put("features", {.feature = 6, .author = "old-import", .text = "caf\xe9", .created_at = "2026-01-01T00:00:00Z"});
  }
  const auto labels = client().Get("/api/labels?feature=6");
  ASSERT_TRUE(labels);
  ASSERT_EQ(labels->status, 200) << brief(labels->body);
  EXPECT_EQ(nlohmann::json::parse(labels->body)["labels"][0]["text"], "caf\xef\xbf\xbd");
  for (const std::string format : {"jsonl", "csv"}) {
    const auto exported = client().Get("/api/labels/export?format=" + format);
    ASSERT_TRUE(exported);
    EXPECT_EQ(exported->status, 200) << format << ": " << brief(exported->body);
    EXPECT_NE(exported->body.find("caf\xef\xbf\xbd"), std::string::npos) << format << ": " << brief(exported->body);
  }
}

// ---- 7: strict input, the server's clock, formula-safe CSV -------------------

TEST_F(LabellingServer, RefusesFeatureIdsThatAreNotIntegersInRange) {
  for (const std::string feature : {"3.7", "1e20", "9223372036854775808", "\"3\"", "-1", "10", "3.0", "true"}) {
    const auto result =
        post("/api/labels", R"({"feature": )" + feature + R"(, "author": "loose", "text": "t"})", "application/json");
    ASSERT_TRUE(result) << feature;
    EXPECT_EQ(result->status, 400) << feature << ": " << brief(result->body);
    EXPECT_EQ(error_of(result).rfind("feature: ", 0), 0u) << feature << ": " << brief(result->body);
  }
  for (const std::string feature : {"3.7", "1e20", "3x", "", "99999999999999999999"}) {
    const auto result = post("/api/labels/import", "feature,author,text\n" + feature + ",loose,t\n", "text/csv");
    ASSERT_TRUE(result) << feature;
    EXPECT_EQ(result->status, 400) << feature << ": " << brief(result->body);
    EXPECT_EQ(error_of(result), "row 2, feature: '" + feature + "' is not an integer") << brief(result->body);
  }
  const auto query = client().Get("/api/labels?feature=3.7");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 400) << brief(query->body);
  EXPECT_EQ(labels_of("loose").size(), 0u);
}

TEST_F(LabellingServer, RefusesARubricThatIsNotAnIntegerFrom0To4) {
  for (const std::string rubric : {"2.5", "\"2\"", "5", "-1", "1e0"}) {
    const auto result = post("/api/labels", R"({"feature": 1, "author": "rubric", "text": "t", "rubric": )" + rubric + "}",
                             "application/json");
    ASSERT_TRUE(result) << rubric;
    EXPECT_EQ(result->status, 400) << rubric << ": " << brief(result->body);
    EXPECT_EQ(error_of(result).rfind("rubric: must be an integer from 0 to 4", 0), 0u) << brief(result->body);
  }
  for (const std::string rubric : {"2x", "2.0", " 2", "x"}) {
    const auto result = post("/api/labels/import", "feature,author,text,rubric\n1,rubric,t," + rubric + "\n", "text/csv");
    ASSERT_TRUE(result) << rubric;
    EXPECT_EQ(result->status, 400) << rubric << ": " << brief(result->body);
    EXPECT_EQ(error_of(result), "row 2, rubric: must be an integer from 0 to 4, not '" + rubric + "'");
  }
  const auto jsonl = post("/api/labels/import", R"({"feature": 1, "author": "rubric", "text": "t", "rubric": "2"})",
                          "application/x-ndjson");
  ASSERT_TRUE(jsonl);
  EXPECT_EQ(jsonl->status, 400) << brief(jsonl->body);
  EXPECT_EQ(labels_of("rubric").size(), 0u);
  const auto good = post("/api/labels/import", "feature,author,text,rubric\n1,rubric,t,4\n2,rubric,u,\n", "text/csv");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 200) << brief(good->body);
  const auto stored = labels_of("rubric");
  ASSERT_EQ(stored.size(), 2u) << brief(stored.dump());
  EXPECT_EQ(stored[0]["rubric"], 4);
  EXPECT_TRUE(stored[1]["rubric"].is_null());
}

TEST_F(LabellingServer, StampsImportedLabelsWithTheServersClock) {
  const std::string year = LabelStore::now().substr(0, 4);
  const auto csv = post("/api/labels/import", "feature,author,text,created_at\n7,forger,from CSV,2999-01-01T00:00:00Z\n",
                        "text/csv");
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200) << brief(csv->body);
  const auto jsonl = post("/api/labels/import",
                          R"({"feature": 8, "author": "forger", "text": "from JSONL", "created_at": "2999-01-01T00:00:00Z"})",
                          "application/x-ndjson");
  ASSERT_TRUE(jsonl);
  ASSERT_EQ(jsonl->status, 200) << brief(jsonl->body);
  const auto stored = labels_of("forger");
  ASSERT_EQ(stored.size(), 2u) << brief(stored.dump());
  for (const auto& label : stored)  // the year this test ran, not the file's 2999
    EXPECT_TRUE(label["created_at"].get<std::string>().starts_with(year)) << brief(label.dump());
}

TEST_F(LabellingServer, ExportsCsvCellsNoSpreadsheetRunsAsAFormula) {
  const std::vector<std::string> texts = {"=HYPERLINK(\"http://evil.example\",\"x\")", "+1 for the sum", "-1 below",
                                          "@SUM(A1)", "\tindented", "'tis the season", "'=quoted already"};
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto saved = post("/api/labels", label_json(static_cast<std::int64_t>(i), "=cmd|' /C calc'!A0", texts[i]),
                            "application/json");
    ASSERT_TRUE(saved);
    ASSERT_EQ(saved->status, 201) << texts[i] << ": " << brief(saved->body);
  }
  const auto exported = client().Get("/api/labels/export?format=csv");
  ASSERT_TRUE(exported);
  ASSERT_EQ(exported->status, 200);
  const std::string& csv = exported->body;
  for (const std::string cell : std::vector<std::string>{R"c(,"'=HYPERLINK(""http://evil.example"",""x"")",)c", ",'+1 for the sum,", ",'-1 below,",
                                 ",'@SUM(A1),", ",'\tindented,", ",'tis the season,", ",''=quoted already,",
                                 "\n0,'=cmd|' /C calc'!A0,"})
    EXPECT_NE(csv.find(cell), std::string::npos) << "no cell " << cell << " in:\n" << brief(csv);
  for (const char* formula : {",=", ",+", ",-", ",@", ",\t", ",\"=", ",\"+", ",\"-", ",\"@"})
    EXPECT_EQ(csv.find(formula), std::string::npos) << "a cell starts a formula with " << formula << " in:\n" << brief(csv);

  // The export imports back to the same labels: the quote marks come off again.
  const auto imported = post("/api/labels/import", csv, "text/csv");
  ASSERT_TRUE(imported);
  ASSERT_EQ(imported->status, 200) << brief(imported->body);
  const auto again = labels_of("%3Dcmd%7C%27%20%2FC%20calc%27%21A0");
  ASSERT_EQ(again.size(), texts.size()) << brief(again.dump());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(again[i]["text"], texts[i]);
}

TEST_F(LabellingServer, ImportsACsvThatExcelSavedWithAByteOrderMark) {
  const auto imported = post("/api/labels/import", "\xEF\xBB\xBF" "feature,author,text\r\n9,excel,from Excel\r\n", "text/csv");
  ASSERT_TRUE(imported);
  EXPECT_EQ(imported->status, 200) << brief(imported->body);
  EXPECT_EQ(labels_of("excel").size(), 1u);
}

// ---- 8: idle connections ----------------------------------------------------

// A connection that sends `sent` (perhaps nothing) and then nothing more.
class HalfOpen {
 public:
  HalfOpen(int port, const std::string& sent) : fd_(::socket(AF_INET, SOCK_STREAM, 0)), opened_(Clock::now()) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                 ::send(fd_, sent.data(), sent.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(sent.size());
  }
  ~HalfOpen() { ::close(fd_); }
  HalfOpen(const HalfOpen&) = delete;
  HalfOpen& operator=(const HalfOpen&) = delete;
  bool connected() const { return connected_; }

  // Seconds from opening until the server closed the connection (reading
  // whatever it said first); about `limit` if it did not.
  double seconds_until_closed(std::chrono::seconds limit) {
    const timeval timeout{.tv_sec = static_cast<time_t>(limit.count()), .tv_usec = 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[4096];
    while (::recv(fd_, buffer, sizeof buffer, 0) > 0) {
    }
    return std::chrono::duration<double>(Clock::now() - opened_).count();
  }

 private:
  int fd_;
  Clock::time_point opened_;
  bool connected_ = false;
};

TEST_F(LabellingServer, AnswersPromptlyWhileManyConnectionsHangHalfOpen) {
  const std::string partial = "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  std::vector<std::unique_ptr<HalfOpen>> idle;
  for (int i = 0; i < 24; ++i) {
    idle.push_back(std::make_unique<HalfOpen>(port_, i % 2 ? partial : ""));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // Time for the server to take them all up: its listen backlog is 5, and a
  // connect that finds it full waits a second for the SYN to be sent again.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto start = Clock::now();
  const auto status = client().Get("/api/status");
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ASSERT_TRUE(status) << "no answer in " << seconds << " s";
  EXPECT_EQ(status->status, 200);
  EXPECT_LT(seconds, 2.0) << "24 half-open connections held the answer back";
}

// httplib answers a request cut off mid-header with 400 once the read times
// out, then keeps the connection alive once more: read + keep-alive timeouts.
TEST_F(LabellingServer, ClosesAConnectionThatNeverFinishesItsRequest) {
  HalfOpen silent(port_, "");
  HalfOpen partial(port_, "POST /api/labels HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n");
  ASSERT_TRUE(silent.connected() && partial.connected());
  const double silent_seconds = silent.seconds_until_closed(std::chrono::seconds(15));
  const double partial_seconds = partial.seconds_until_closed(std::chrono::seconds(15));
  EXPECT_LT(silent_seconds, 3.5) << "a connection that sends nothing holds a worker this long";
  EXPECT_LT(partial_seconds, 6.5) << "a request stalled mid-header holds a worker this long";
}

}  // namespace
}  // namespace dictlab::testing
