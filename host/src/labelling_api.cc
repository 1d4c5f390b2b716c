#include "labelling_api.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <stdexcept>

#include "dictlab/feature_store.h"
#include "dictlab/label_store.h"
#include "dictlab/utf8.h"
#include "label_input.h"
#include "labels_csv.h"
#include "request_guard.h"

namespace dictlab::host {
namespace {

using Request = httplib::Request;
using Response = httplib::Response;

nlohmann::json to_json(const HumanLabel& label) {
  return {{"feature", label.feature},
          {"labeler", "human"},
          {"author", label.author},
          {"text", label.text},
          {"rubric", label.rubric ? nlohmann::json(static_cast<int>(*label.rubric)) : nlohmann::json(nullptr)},
          {"created_at", label.created_at}};
}

// Replaces rather than throws on bytes that are not UTF-8: one bad stored row
// must not make every answer fail (LabelStore already cleans what it reads).
std::string dump(const nlohmann::json& json) { return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

void reply(Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(dump(body), "application/json");
}

// An error a person caused, as JSON saying what was wrong.
void refuse(Response& response, const absl::Status& status, const std::string& where = "") {
  reply(response, http_status(status), {{"error", where + std::string(status.message())}});
}

// A query parameter that must be a whole integer; the exception handler turns the throw into 400.
std::optional<std::int64_t> integer_param(const Request& request, const char* name) {
  if (!request.has_param(name)) return std::nullopt;
  const std::string text = request.get_param_value(name);
  const auto value = parse_integer(text);
  if (!value) throw std::invalid_argument(std::string(name) + "='" + text + "' is not an integer");
  return value;
}

}  // namespace

class LabellingApi {
 public:
  LabellingApi(const std::filesystem::path& run_dir, const std::string& analysis)
      : analysis_(analysis), labels_(run_dir / LabelStore::kFileName) {
    auto store = FeatureStore::open(run_dir / "stages" / analysis / FeatureStore::kFileName);
    store.for_each_summary([&](const FeatureSummary& f) {
      ++n_features_;
      if (f.density > 0) alive_.push_back(f.id);
    });
  }

  // `prefix`: a regular expression (httplib's routes are) matching the folder the routes are under.
  void install(httplib::Server& server, const std::string& prefix) {
    // A malformed query parameter (count=abc) is the client's mistake: 400, saying what failed.
    server.set_exception_handler([](const Request& request, Response& response, std::exception_ptr e) {
      std::string what = "bad request";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        what = error.what();
      }
      reply(response, 400, {{"error", "cannot handle " + request.path + ": " + what}});
    });
    auto route = [this](void (LabellingApi::*method)(const Request&, Response&)) {
      return [this, method](const Request& request, Response& response) { (this->*method)(request, response); };
    };
    server.Get(prefix + "/api/status", route(&LabellingApi::status));
    server.Get(prefix + "/api/queue", route(&LabellingApi::queue));
    server.Get(prefix + "/api/labels", route(&LabellingApi::get_labels));
    server.Post(prefix + "/api/labels", route(&LabellingApi::post_label));
    server.Get(prefix + "/api/labels/export", route(&LabellingApi::export_labels));
    server.Post(prefix + "/api/labels/import", route(&LabellingApi::import_labels));
  }

 private:
  void status(const Request&, Response& response) {
    reply(response, 200, {{"labelling", true}, {"analysis_stage", analysis_}, {"n_features", n_features_}});
  }

  void queue(const Request& request, Response& response) {
    const std::string author = request.get_param_value("author");
    const std::int64_t count = integer_param(request, "count").value_or(20);
    const auto seed = static_cast<std::uint64_t>(integer_param(request, "seed").value_or(0));
    std::set<std::int64_t> done;
    for (const auto& label : labels_.labels(analysis_, std::nullopt, author)) done.insert(label.feature);
    std::vector<std::int64_t> queue = alive_;
    std::shuffle(queue.begin(), queue.end(), std::mt19937_64(seed));
    std::erase_if(queue, [&](std::int64_t id) { return done.contains(id); });
    queue.resize(std::min<std::size_t>(queue.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, count))));
    reply(response, 200, {{"features", queue}});
  }

  void get_labels(const Request& request, Response& response) {
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& label : labels_.labels(analysis_, integer_param(request, "feature"), request.get_param_value("author")))
      labels.push_back(to_json(label));
    reply(response, 200, {{"labels", labels}});
  }

  void post_label(const Request& request, Response& response) {
    if (!require_content_type(request, response, {"application/json"})) return;
    if (const std::size_t at = invalid_utf8_at(request.body); at != std::string::npos)
      return reply(response, 400, {{"error", "the body is not UTF-8 (at byte " + std::to_string(at) + ")"}});
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object()) return reply(response, 400, {{"error", "the body is not a JSON object"}});
    auto label = label_from_json(body);
    if (!label.ok()) return refuse(response, label.status());
    if (const auto status = check_label(*label, n_features_); !status.ok()) return refuse(response, status);
    label->created_at = LabelStore::now();
    labels_.put(analysis_, *label);
    reply(response, 201, {{"label", to_json(*label)}});
  }

  void export_labels(const Request& request, Response& response) {
    const auto labels = labels_.labels(analysis_);
    const bool csv = request.get_param_value("format") == "csv";
    if (csv) {
      response.set_content(labels_to_csv(labels), "text/csv; charset=utf-8");
    } else {
      std::string lines;
      for (const auto& label : labels) lines += dump(to_json(label)) + "\n";
      response.set_content(lines, "application/x-ndjson");
    }
    response.set_header("Content-Disposition",
                        std::string("attachment; filename=\"human-labels.") + (csv ? "csv" : "jsonl") + "\"");
  }

  // All or nothing: one bad row refuses the whole file, naming the row. Every
  // label is stamped now; the file's created_at column is not believed.
  void import_labels(const Request& request, Response& response) {
    if (!require_content_type(request, response, {"text/csv", "application/x-ndjson", "application/jsonl"})) return;
    const bool csv = request.get_header_value("Content-Type").starts_with("text/csv");
    auto labels = csv ? labels_from_csv(request.body) : labels_from_jsonl(request.body);
    if (!labels.ok()) return refuse(response, labels.status());
    const std::string stamp = LabelStore::now();
    for (auto& [where, label] : *labels) {
      if (const auto status = check_label(label, n_features_); !status.ok()) return refuse(response, status, where + ", ");
      label.created_at = stamp;
    }
    for (const auto& imported : *labels) labels_.put(analysis_, imported.label);
    reply(response, 200, {{"imported", labels->size()}});
  }

  std::string analysis_;
  // httplib answers from several threads; the connection is opened serialized
  // (SQLITE_OPEN_FULLMUTEX), so they may share it.
  LabelStore labels_;
  std::int64_t n_features_ = 0;
  std::vector<std::int64_t> alive_;
};

std::shared_ptr<LabellingApi> install_labelling_api(httplib::Server& server, const std::filesystem::path& run_dir,
                                                    const std::string& analysis_stage, const std::string& folder) {
  auto api = std::make_shared<LabellingApi>(run_dir, analysis_stage);
  std::string prefix;  // the folder, escaped for std::regex
  for (char c : folder) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) prefix += '\\';
    prefix += c;
  }
  api->install(server, prefix);
  return api;
}

}  // namespace dictlab::host
