// node-llama-cpp (llama.cpp) as the project's llm-server installs it
// (`bash .ci/install-llm`), loaded on 2 CPU threads with prebuilt binaries only.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// exact: float32 keys and values and no flash attention (which rounds to
// float16), so that a float32 model is evaluated in float32 throughout.
export async function loadLlamaCpp({ model, threads = 2, contextSize = 2048, sequences = 1, batchSize = contextSize, exact = false }) {
  const resolver = createRequire(join(repo, "host", "llm-server", "package.json"));
  const { getLlama, LlamaLogLevel } = await import(pathToFileURL(resolver.resolve("node-llama-cpp")).href);
  const llama = await getLlama({
    gpu: false,
    build: "never",
    usePrebuiltBinaries: true,
    skipDownload: true,
    maxThreads: threads,
    logLevel: LlamaLogLevel.error,
    progressLogs: false,
  });
  const loaded = await llama.loadModel({ modelPath: model });
  const precision = exact
    ? { flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" }
    : {};
  const context = await loaded.createContext({ contextSize, batchSize, sequences, threads, ...precision });
  return { llama, model: loaded, context, sequence: sequences === 1 ? context.getSequence() : undefined };
}
