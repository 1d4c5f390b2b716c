#pragma once

#include <filesystem>
#include <memory>
#include <string>

namespace httplib {
class Server;
}

namespace dictlab::host {

// The human labelling API of `dictlab serve` (host/site/DATA.md, "Labelling
// API") over RUN_DIR/labels.sqlite and the analysis stage's feature store.
// The routes are under `folder` (e.g. "/features" for /features/api/status;
// empty: /api/status). The returned object must outlive the server's use of the routes.
class LabellingApi;
std::shared_ptr<LabellingApi> install_labelling_api(httplib::Server& server, const std::filesystem::path& run_dir,
                                                    const std::string& analysis_stage, const std::string& folder = "");

}  // namespace dictlab::host
