// Writes a tiny run at argv[1]/work/run and its exported feature browser at
// argv[1]/site, for the site's TypeScript tests (ctest fixture "site"): real
// C++ model, dictionary and analysis, so the browser is checked against what
// C++ computes, and a run directory for `dictlab serve` (the labelling page).
// Then a copy of the run, argv[1]/work/run-all, gets a second, smaller
// dictionary with its analysis and relation stages (tiny_site_run.h), and
// `dictlab export --all` writes its two linked sites to argv[1]/site-all.
// A third copy, argv[1]/work/run-architectures, gets a dictionary of each
// other architecture (architecture_stages()), exported with --all to
// argv[1]/site-architectures for the in-page model's golden values.
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
  auto run = [](const std::vector<std::string>& argv_) {
    const auto result = run_command(argv_, plugin_environment());
    if (result.exit_code != 0) std::cerr << result.output;
    return result.exit_code == 0;
  };
  if (!run({DICTLAB_BINARY, "run", experiment.string()}) ||
      !run({DICTLAB_BINARY, "export", (work / "run").string(), "--out", (out / "site").string()}))
    return 1;

  // The same experiment with the small dictionary: its first stages are
  // already done in the copy, so only sae_small and features_small run.
  std::filesystem::copy(work / "run", work / "run-all", std::filesystem::copy_options::recursive);
  std::filesystem::remove(work / "run-all/run.lock");
  const std::string toml = read_text(experiment) + small_dictionary_stages();
  write_text(work / "exp-all.toml", toml);
  if (!run({DICTLAB_BINARY, "run", (work / "exp-all.toml").string(), "--run-dir", (work / "run-all").string()}))
    return 1;
  write_relation_stages(work / "run-all");
  if (!run({DICTLAB_BINARY, "export", (work / "run-all").string(), "--all", "--out", (out / "site-all").string()}))
    return 1;

  // Every other architecture the in-page model runs, each with its own
  // check.json, in argv[1]/site-architectures/<analysis stage>.
  std::filesystem::copy(work / "run", work / "run-architectures", std::filesystem::copy_options::recursive);
  std::filesystem::remove(work / "run-architectures/run.lock");
  write_text(work / "exp-architectures.toml", read_text(experiment) + architecture_stages());
  if (!run({DICTLAB_BINARY, "run", (work / "exp-architectures.toml").string(), "--run-dir",
            (work / "run-architectures").string()}) ||
      !run({DICTLAB_BINARY, "export", (work / "run-architectures").string(), "--all", "--out",
            (out / "site-architectures").string()}))
    return 1;
  std::cout << "wrote " << out.string() << "\n";
  return 0;
}
