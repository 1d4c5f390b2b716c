// cfg.json's "architecture" → the architecture that runs it.
#include <map>

#include "architectures/architectures.h"
#include "dictlab/errors.h"

namespace sparse_autoencoder {

std::shared_ptr<Architecture> architecture_from_cfg(const nlohmann::json& cfg) {
  using FromCfg = std::shared_ptr<Architecture> (*)(const nlohmann::json&);
  static const std::map<std::string, FromCfg> known = {
      {"jumprelu", jumprelu_from_cfg},
      {"skip_transcoder", transcoder_from_cfg},
      {"transcoder", transcoder_from_cfg},
      {"standard", standard_from_cfg},
      {"topk", topk_from_cfg},
  };
  const std::string name = cfg.value("architecture", "standard");
  const auto it = known.find(name);
  if (it == known.end()) {
    std::string names;
    for (const auto& [known_name, _] : known) names += (names.empty() ? "" : ", ") + known_name;
    throw dictlab::PluginError("cfg.json: unknown architecture '" + name + "' (known: " + names + ")");
  }
  return it->second(cfg);
}

}  // namespace sparse_autoencoder
