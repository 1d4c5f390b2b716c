#include "labelling_api.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>

#include "dictlab/feature_store.h"
#include "dictlab/label_store.h"
#include "request_guard.h"

namespace dictlab::host {
namespace {

nlohmann::json to_json(const HumanLabel& label) {
  return {{"feature", label.feature},
          {"labeler", "human"},
          {"author", label.author},
          {"text", label.text},
          {"rubric", label.rubric ? nlohmann::json(static_cast<int>(*label.rubric)) : nlohmann::json(nullptr)},
          {"created_at", label.created_at}};
}

void reply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// RFC 4180 records: quoted fields may hold commas, quotes ("") and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      rows.back().push_back(std::move(field)), field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      rows.back().push_back(std::move(field)), field.clear();
      rows.emplace_back();
    } else {
      field += c, any = true;
    }
  }
  if (!field.empty() || any) rows.back().push_back(std::move(field));
  std::erase_if(rows, [](const auto& row) { return row.empty() || (row.size() == 1 && row[0].empty()); });
  return rows;
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

  // Checks a label a person sent; the error names the field.
  std::string invalid(const HumanLabel& label) const {
    if (label.feature < 0 || label.feature >= n_features_)
      return "feature: " + std::to_string(label.feature) + " is not a feature id (0.." +
             std::to_string(n_features_ - 1) + ")";
    if (label.author.empty()) return "author: empty";
    if (label.text.find_first_not_of(" \t\r\n") == std::string::npos) return "text: empty";
    if (label.rubric && (*label.rubric < 0 || *label.rubric > 4 || *label.rubric != std::floor(*label.rubric)))
      return "rubric: must be an integer from 0 to 4";
    return "";
  }

  // `prefix`: a regular expression (httplib's routes are) matching the folder the routes are under.
  void install(httplib::Server& server, const std::string& prefix) {
    // A malformed query parameter (count=abc) is the client's mistake: 400, saying what failed.
    server.set_exception_handler([](const httplib::Request& request, httplib::Response& response, std::exception_ptr e) {
      std::string what = "bad request";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        what = error.what();
      }
      reply(response, 400, {{"error", "cannot handle " + request.path + ": " + what}});
    });
    server.Get(prefix + "/api/status", [this](const httplib::Request&, httplib::Response& response) {
      reply(response, 200, {{"labelling", true}, {"analysis_stage", analysis_}, {"n_features", n_features_}});
    });
    server.Get(prefix + "/api/queue", [this](const httplib::Request& request, httplib::Response& response) {
      const std::string author = request.get_param_value("author");
      const std::int64_t count = request.has_param("count") ? std::stoll(request.get_param_value("count")) : 20;
      const std::uint64_t seed = request.has_param("seed") ? std::stoull(request.get_param_value("seed")) : 0;
      std::set<std::int64_t> done;
      for (const auto& label : labels_.labels(analysis_, std::nullopt, author)) done.insert(label.feature);
      std::vector<std::int64_t> queue = alive_;
      std::shuffle(queue.begin(), queue.end(), std::mt19937_64(seed));
      std::erase_if(queue, [&](std::int64_t id) { return done.contains(id); });
      queue.resize(std::min<std::size_t>(queue.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, count))));
      reply(response, 200, {{"features", queue}});
    });
    server.Get(prefix + "/api/labels", [this](const httplib::Request& request, httplib::Response& response) {
      std::optional<std::int64_t> feature;
      if (request.has_param("feature")) feature = std::stoll(request.get_param_value("feature"));
      nlohmann::json labels = nlohmann::json::array();
      for (const auto& label : labels_.labels(analysis_, feature, request.get_param_value("author")))
        labels.push_back(to_json(label));
      reply(response, 200, {{"labels", labels}});
    });
    server.Post(prefix + "/api/labels", [this](const httplib::Request& request, httplib::Response& response) {
      if (!require_content_type(request, response, {"application/json"})) return;
      const auto body = nlohmann::json::parse(request.body, nullptr, false);
      if (!body.is_object()) return reply(response, 400, {{"error", "the body is not a JSON object"}});
      HumanLabel label;
      try {
        label.feature = body.at("feature").get<std::int64_t>();
        label.author = body.value("author", "");
        label.text = body.value("text", "");
        if (body.contains("rubric") && !body["rubric"].is_null()) label.rubric = body["rubric"].get<double>();
      } catch (const nlohmann::json::exception& error) {
        return reply(response, 400, {{"error", std::string("bad label: ") + error.what()}});
      }
      if (const auto error = invalid(label); !error.empty()) return reply(response, 400, {{"error", error}});
      label.created_at = LabelStore::now();
      labels_.put(analysis_, label);
      reply(response, 201, {{"label", to_json(label)}});
    });
    server.Get(prefix + "/api/labels/export", [this](const httplib::Request& request, httplib::Response& response) {
      const auto labels = labels_.labels(analysis_);
      if (request.get_param_value("format") == "csv") {
        std::string csv = "feature,author,text,rubric,created_at\n";
        for (const auto& l : labels)
          csv += std::to_string(l.feature) + "," + csv_field(l.author) + "," + csv_field(l.text) + "," +
                 (l.rubric ? std::to_string(static_cast<int>(*l.rubric)) : "") + "," + l.created_at + "\n";
        response.set_content(csv, "text/csv; charset=utf-8");
      } else {
        std::string lines;
        for (const auto& l : labels) lines += to_json(l).dump() + "\n";
        response.set_content(lines, "application/x-ndjson");
      }
      response.set_header("Content-Disposition", "attachment; filename=\"human-labels." +
                                                     std::string(request.get_param_value("format") == "csv" ? "csv" : "jsonl") + "\"");
    });
    server.Post(prefix + "/api/labels/import", [this](const httplib::Request& request, httplib::Response& response) {
      if (!require_content_type(request, response, {"text/csv", "application/x-ndjson", "application/jsonl"})) return;
      std::vector<HumanLabel> labels;
      try {
        labels = request.get_header_value("Content-Type").starts_with("text/csv") ? from_csv(request.body)
                                                                                : from_jsonl(request.body);
      } catch (const std::exception& error) {
        return reply(response, 400, {{"error", error.what()}});
      }
      for (std::size_t i = 0; i < labels.size(); ++i)
        if (const auto error = invalid(labels[i]); !error.empty())
          return reply(response, 400, {{"error", "record " + std::to_string(i + 1) + ": " + error}});
      for (const auto& label : labels) labels_.put(analysis_, label);  // nothing is written unless all are valid
      reply(response, 200, {{"imported", labels.size()}});
    });
  }

 private:
  static std::vector<HumanLabel> from_jsonl(const std::string& body) {
    std::vector<HumanLabel> labels;
    std::istringstream lines(body);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      const auto json = nlohmann::json::parse(line, nullptr, false);
      if (!json.is_object()) throw std::runtime_error("line " + std::to_string(number) + ": not a JSON object");
      HumanLabel label{json.value("feature", std::int64_t{-1}), json.value("author", ""), json.value("text", ""),
                       std::nullopt, json.value("created_at", "")};
      if (json.contains("rubric") && json["rubric"].is_number()) label.rubric = json["rubric"].get<double>();
      labels.push_back(std::move(label));
    }
    return labels;
  }

  static std::vector<HumanLabel> from_csv(const std::string& body) {
    auto rows = parse_csv(body);
    if (rows.empty()) return {};
    const auto& header = rows.front();
    auto column = [&](const char* name) {
      const auto it = std::find(header.begin(), header.end(), name);
      if (it == header.end()) throw std::runtime_error(std::string("CSV header has no column '") + name + "'");
      return static_cast<std::size_t>(it - header.begin());
    };
    const auto feature = column("feature"), author = column("author"), text = column("text");
    std::vector<HumanLabel> labels;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      auto cell = [&](std::size_t c) { return c < rows[r].size() ? rows[r][c] : std::string(); };
      HumanLabel label{std::stoll(cell(feature)), cell(author), cell(text), std::nullopt, ""};
      if (const auto it = std::find(header.begin(), header.end(), "rubric"); it != header.end()) {
        const std::string rubric = cell(static_cast<std::size_t>(it - header.begin()));
        if (!rubric.empty()) label.rubric = std::stod(rubric);
      }
      if (const auto it = std::find(header.begin(), header.end(), "created_at"); it != header.end())
        label.created_at = cell(static_cast<std::size_t>(it - header.begin()));
      labels.push_back(std::move(label));
    }
    return labels;
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
