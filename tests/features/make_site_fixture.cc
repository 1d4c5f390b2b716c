// Writes a tiny run at argv[1]/work/run and its exported feature browser at
// argv[1]/site, for the site's TypeScript tests (ctest fixture "site"): real
// C++ model, dictionary and analysis, so the browser is checked against what
// C++ computes, and a run directory for `dictlab serve` (the labelling page).
#include <iostream>

#include "tiny_site_run.h"

int main(int argc, char** argv) {
  using namespace dictlab::testing;
  if (argc != 2) {
    std::cerr << "usage: make_site_fixture OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = std::filesystem::absolute(argv[1]);
  const auto work = out / "work";
  std::filesystem::remove_all(out);
  const auto experiment = write_tiny_site_experiment(work);
  for (const auto& argv_ : {std::vector<std::string>{DICTLAB_BINARY, "run", experiment.string()},
                            std::vector<std::string>{DICTLAB_BINARY, "export", (work / "run").string(), "--out",
                                                     (out / "site").string()}}) {
    const auto result = run_command(argv_, plugin_environment());
    if (result.exit_code != 0) {
      std::cerr << result.output;
      return 1;
    }
  }
  std::cout << "wrote " << out.string() << "\n";
  return 0;
}
