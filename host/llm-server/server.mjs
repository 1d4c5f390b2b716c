#!/usr/bin/env node
// A small local LLM server that speaks the OpenAI chat-completions API, so
// dictlab's feature labelling can use a real LLM offline, with no API key.
//
//   node server.mjs --model PATH [--port 8081] [--host 127.0.0.1]
//                   [--threads 1] [--context 2048] [--name ID]
//
// Endpoints: GET /health, GET /v1/models, POST /v1/chat/completions
// (non-streaming). The model is a GGUF file run on the CPU by llama.cpp
// (node-llama-cpp's prebuilt binaries; nothing is downloaded or compiled
// here). Prompts are built with the GGUF's own chat template. Requests are
// independent (each gets a fresh context sequence) and run one at a time.
// When DICTLAB_LLM_SERVER_KEY is set, every endpoint but /health wants
// "Authorization: Bearer <that key>".
// Prints "listening on http://HOST:PORT" on stdout once the model is loaded.
import { createServer } from "node:http";
import { randomBytes, timingSafeEqual, createHash } from "node:crypto";
import { basename } from "node:path";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";

const usage = `usage: node server.mjs --model PATH [--port 8081] [--host 127.0.0.1] [--threads 1] [--context 2048] [--name ID]
  --model PATH    GGUF model file (.ci/install-llm puts SmolLM2-135M-Instruct in /var/cache/dictlab/llm/)
  --port N        TCP port; 0 picks a free one (default 8081)
  --host ADDR     address to bind (default 127.0.0.1, loopback only)
  --threads N     CPU threads for llama.cpp (default 1)
  --context N     context size in tokens, prompt plus completion (default 2048)
  --name ID       model id reported by /v1/models and in replies (default: the file name without .gguf)
environment: DICTLAB_LLM_SERVER_KEY, when set, is the bearer key every request but GET /health must carry`;

function fail(message) {
  console.error(`llm-server: ${message}`);
  console.error(usage);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      model: { type: "string" },
      port: { type: "string", default: "8081" },
      host: { type: "string", default: "127.0.0.1" },
      threads: { type: "string", default: "1" },
      context: { type: "string", default: "2048" },
      name: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error.message);
}
if (args.help) {
  console.log(usage);
  process.exit(0);
}
function intArg(name, min, max) {
  const text = args[name];
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) fail(`--${name} must be an integer from ${min} to ${max} (got ${text})`);
  return value;
}
if (!args.model) fail("--model PATH is required");
if (!existsSync(args.model)) fail(`no model file at ${args.model} (run .ci/install-llm)`);
const port = intArg("port", 0, 65535);
const threads = intArg("threads", 1, 256);
const contextSize = intArg("context", 64, 1 << 20);
const modelId = args.name ?? basename(args.model).replace(/\.gguf$/i, "");
const apiKey = process.env.DICTLAB_LLM_SERVER_KEY || "";
const maxBodyBytes = 1 << 20;

// Imported after the arguments are checked, so --help and mistakes are quick.
const { getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } = await import("node-llama-cpp");

const loadStart = performance.now();
// gpu: false and build: "never": use the prebuilt CPU binaries that npm put
// in node_modules, never probe for CUDA/Vulkan, never download or compile.
const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  maxThreads: threads,
  logLevel: LlamaLogLevel.error,
  progressLogs: false,
});
const model = await llama.loadModel({ modelPath: args.model });
const trainContext = model.trainContextSize;
if (contextSize > trainContext) {
  console.error(`llm-server: --context ${contextSize} is larger than the model's training context (${trainContext}); using ${trainContext}`);
}
const context = await model.createContext({
  contextSize: Math.min(contextSize, trainContext),
  sequences: 1,
  threads,
});
// The GGUF's own Jinja chat template, exactly as the model was trained with;
// node-llama-cpp's best-matching built-in wrapper if the file has none.
let chatWrapper;
try {
  chatWrapper = model.fileInfo.metadata?.tokenizer?.chat_template
    ? resolveChatWrapper(model, { type: "jinjaTemplate" })
    : resolveChatWrapper(model);
} catch (error) {
  console.error(`llm-server: the GGUF chat template did not load (${error.message}); using node-llama-cpp's automatic choice`);
  chatWrapper = resolveChatWrapper(model);
}
const created = Math.floor(Date.now() / 1000);
console.error(
  `llm-server: loaded ${args.model} (${modelId}) in ${((performance.now() - loadStart) / 1000).toFixed(2)} s; ` +
    `context ${context.contextSize} tokens, ${threads} thread(s), chat template ${chatWrapper.wrapperName}, ` +
    `llama.cpp ${llama.buildType} binaries`,
);

// ---------------------------------------------------------------------------
// Errors in the OpenAI shape: {error: {message, type, param, code}}.
class ApiError extends Error {
  constructor(status, message, { type, param = null, code = null } = {}) {
    super(message);
    this.status = status;
    this.type = type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.param = param;
    this.code = code;
  }
}
const badRequest = (message, param = null, code = null) => new ApiError(400, message, { param, code });

function send(res, status, body, headers = {}) {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
function sendError(res, error) {
  send(res, error.status, { error: { message: error.message, type: error.type, param: error.param, code: error.code } });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk); // past the limit: read on, keep nothing, answer 413
    });
    req.on("end", () => {
      if (size > maxBodyBytes) reject(new ApiError(413, `the request body is larger than ${maxBodyBytes} bytes`));
      else resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

const keyDigest = apiKey ? createHash("sha256").update(apiKey).digest() : null;
function authorized(req) {
  if (!keyDigest) return true;
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "");
  if (!match) return false;
  return timingSafeEqual(createHash("sha256").update(match[1].trim()).digest(), keyDigest);
}

// ---------------------------------------------------------------------------
// Request validation: OpenAI messages to node-llama-cpp chat history.
function messageText(content, index) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        if (part && part.type === "text" && typeof part.text === "string") return part.text;
        throw badRequest(`messages[${index}].content[${j}]: only {"type": "text", "text": ...} parts are supported`, "messages");
      })
      .join("");
  }
  throw badRequest(`messages[${index}].content must be a string or an array of text parts`, "messages");
}

function toChatHistory(messages) {
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest("'messages' must be a non-empty array", "messages");
  const history = messages.map((message, i) => {
    if (!message || typeof message !== "object") throw badRequest(`messages[${i}] must be an object`, "messages");
    const text = messageText(message.content ?? (message.role === "assistant" ? "" : undefined), i);
    switch (message.role) {
      case "system":
      case "developer":
        return { type: "system", text };
      case "user":
        return { type: "user", text };
      case "assistant":
        return { type: "model", response: [text] };
      default:
        throw badRequest(`messages[${i}].role must be system, developer, user or assistant (got ${JSON.stringify(message.role)})`, "messages");
    }
  });
  // A trailing assistant message is continued (its text is a prefix of the
  // reply, which then holds only the continuation); otherwise the model
  // answers with a new assistant turn.
  if (history.at(-1).type !== "model") history.push({ type: "model", response: [] });
  return history;
}

function numberParam(body, name, { min, max, integer = false }) {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    throw badRequest(`'${name}' must be ${integer ? "an integer" : "a number"} from ${min} to ${max}`, name);
  }
  return value;
}

function parseRequest(body) {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("the request body must be a JSON object");
  if (body.stream === true) throw badRequest("streaming is not supported by this server; leave 'stream' unset or false", "stream");
  numberParam(body, "n", { min: 1, max: 1, integer: true }); // one choice per request
  if (body.model !== undefined && typeof body.model !== "string") throw badRequest("'model' must be a string", "model");
  const history = toChatHistory(body.messages);
  let stop = body.stop ?? [];
  if (typeof stop === "string") stop = [stop];
  if (!Array.isArray(stop) || stop.length > 4 || !stop.every((s) => typeof s === "string")) {
    throw badRequest("'stop' must be a string or an array of up to 4 strings", "stop");
  }
  stop = stop.filter((s) => s.length > 0);
  const maxTokens = numberParam(body, "max_completion_tokens", { min: 1, max: 1 << 20, integer: true })
    ?? numberParam(body, "max_tokens", { min: 1, max: 1 << 20, integer: true });
  const responseFormat = parseResponseFormat(body.response_format);
  const frequencyPenalty = numberParam(body, "frequency_penalty", { min: -2, max: 2 });
  const presencePenalty = numberParam(body, "presence_penalty", { min: -2, max: 2 });
  return {
    history,
    stop,
    maxTokens,
    temperature: numberParam(body, "temperature", { min: 0, max: 2 }) ?? 1,
    topP: numberParam(body, "top_p", { min: 0, max: 1 }) ?? 1,
    seed: numberParam(body, "seed", { min: -(2 ** 53), max: 2 ** 53, integer: true }),
    frequencyPenalty,
    presencePenalty,
    responseFormat,
  };
}

// OpenAI's response_format: "text" (none), "json_object" (any JSON object) or
// "json_schema" ({json_schema: {name, schema}}), enforced token by token
// with llama.cpp's grammar, so even a small model answers in the shape asked.
function parseResponseFormat(format) {
  if (format === undefined || format === null) return null;
  if (typeof format !== "object" || Array.isArray(format)) throw badRequest("'response_format' must be an object", "response_format");
  if (format.type === "text") return null;
  if (format.type === "json_object") return { kind: "json" };
  if (format.type === "json_schema") {
    const schema = format.json_schema?.schema;
    if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
      throw badRequest("'response_format.json_schema.schema' must be a JSON schema object", "response_format");
    }
    return { kind: "schema", schema };
  }
  throw badRequest(`'response_format.type' must be "text", "json_object" or "json_schema" (got ${JSON.stringify(format.type)})`, "response_format");
}

// Grammars by schema text: building one takes milliseconds, but labelling
// asks the same few schemas thousands of times.
const grammars = new Map();
async function grammarFor(format) {
  if (!format) return undefined;
  const key = format.kind === "json" ? "json" : JSON.stringify(format.schema);
  if (!grammars.has(key)) {
    const made = Promise.resolve().then(() =>
      format.kind === "json" ? llama.getGrammarFor("json") : llama.createGrammarForJsonSchema(format.schema));
    grammars.set(key, made.catch((error) => {
      grammars.delete(key);
      throw badRequest(`'response_format' has a schema llama.cpp's grammar cannot express: ${error?.message ?? error}`, "response_format");
    }));
  }
  return grammars.get(key);
}

// ---------------------------------------------------------------------------
// Generation, one request at a time (2 CPU cores; llama.cpp already uses
// --threads of them).
let queue = Promise.resolve();
let queued = 0;
function enqueue(job) {
  queued++;
  const result = queue.then(job);
  queue = result.catch(() => {}).finally(() => queued--);
  return result;
}

async function complete(request, signal) {
  if (signal.aborted) throw new ApiError(499, "the client went away");
  const { history } = request;
  const promptTokens = chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
  const room = context.contextSize - promptTokens;
  if (room < 1 || (request.maxTokens !== undefined && request.maxTokens > room)) {
    throw badRequest(
      `this model's context is ${context.contextSize} tokens; the messages take ${promptTokens}` +
        (request.maxTokens !== undefined ? ` and max_tokens asks for ${request.maxTokens} more` : "") +
        " (start the server with a larger --context, or send less)",
      "messages",
      "context_length_exceeded",
    );
  }
  const maxTokens = request.maxTokens ?? room;
  const grammar = await grammarFor(request.responseFormat);

  const sequence = context.getSequence();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
  let completionTokens = 0;
  const started = performance.now();
  try {
    const options = {
      maxTokens,
      temperature: request.temperature,
      topP: request.topP,
      onToken: (tokens) => {
        completionTokens += tokens.length;
      },
      signal,
    };
    if (grammar) options.grammar = grammar;
    if (request.seed !== undefined) options.seed = request.seed;
    if (request.stop.length) options.customStopTriggers = request.stop;
    if (request.frequencyPenalty !== undefined || request.presencePenalty !== undefined) {
      options.repeatPenalty = {
        frequencyPenalty: request.frequencyPenalty,
        presencePenalty: request.presencePenalty,
      };
    }
    const result = await chat.generateResponse(history, options);
    const stopReason = result.metadata.stopReason;
    if (stopReason === "abort") throw new ApiError(499, "the client went away");
    return {
      text: result.response,
      finishReason: stopReason === "maxTokens" ? "length" : "stop",
      promptTokens,
      completionTokens,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    chat.dispose({ disposeSequence: false });
    sequence.dispose();
  }
}

async function chatCompletions(req, res) {
  const raw = await readBody(req);
  if (stopping) throw new ApiError(503, "the server is shutting down");
  let body;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    throw badRequest(`the request body is not valid JSON (${error.message})`);
  }
  const request = parseRequest(body);

  // Stop work for a client that disconnects before its answer.
  const abort = new AbortController();
  res.on("close", () => {
    if (!res.writableEnded) abort.abort(new ApiError(499, "the client went away"));
  });
  shutdownSignals.add(abort);
  let result;
  try {
    result = await enqueue(() => complete(request, abort.signal));
  } catch (error) {
    if (abort.signal.aborted && !stopping) return; // nobody to answer
    if (error instanceof ApiError) throw error;
    throw new ApiError(500, `the model failed: ${error?.message ?? error}`);
  } finally {
    shutdownSignals.delete(abort);
  }
  const id = `chatcmpl-${randomBytes(12).toString("hex")}`;
  console.error(
    `llm-server: ${id} prompt ${result.promptTokens} + completion ${result.completionTokens} tokens in ${result.seconds.toFixed(2)} s (${result.finishReason})`,
  );
  send(res, 200, {
    id,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: modelId,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: result.text },
        logprobs: null,
        finish_reason: result.finishReason,
      },
    ],
    usage: {
      prompt_tokens: result.promptTokens,
      completion_tokens: result.completionTokens,
      total_tokens: result.promptTokens + result.completionTokens,
    },
    system_fingerprint: `llama.cpp-${llama.buildType}-${threads}t`,
  });
}

async function route(req, res) {
  const path = new URL(req.url, "http://localhost").pathname.replace(/\/+$/, "") || "/";
  if (path === "/health") {
    if (req.method !== "GET" && req.method !== "HEAD") throw new ApiError(405, "use GET /health");
    send(res, 200, { status: "ok", model: modelId, queued });
    return;
  }
  const known = { "/v1/models": "GET", "/v1/chat/completions": "POST" };
  if (!(path in known) && !path.startsWith("/v1/models/")) throw new ApiError(404, `no route ${req.method} ${path}`, { code: "not_found" });
  if (!authorized(req)) {
    throw new ApiError(401, "missing or wrong API key: send 'Authorization: Bearer <DICTLAB_LLM_SERVER_KEY>'", {
      code: "invalid_api_key",
    });
  }
  const modelObject = { id: modelId, object: "model", created, owned_by: "dictlab" };
  if (path.startsWith("/v1/models/")) {
    if (req.method !== "GET") throw new ApiError(405, `use GET ${path}`);
    if (decodeURIComponent(path.slice("/v1/models/".length)) !== modelId) {
      throw new ApiError(404, `no model ${path.slice("/v1/models/".length)}; this server has ${modelId}`, { code: "model_not_found" });
    }
    send(res, 200, modelObject);
    return;
  }
  if (req.method !== known[path]) throw new ApiError(405, `use ${known[path]} ${path}`);
  if (path === "/v1/models") send(res, 200, { object: "list", data: [modelObject] });
  else await chatCompletions(req, res);
}

const server = createServer((req, res) => {
  route(req, res).catch((error) => {
    if (!(error instanceof ApiError)) {
      console.error("llm-server: unexpected error:", error);
      error = new ApiError(500, `internal error: ${error?.message ?? error}`);
    }
    if (error.status === 499) return;
    sendError(res, error);
  });
});
server.requestTimeout = 0; // long generations are fine; clients set their own timeouts
server.headersTimeout = 60_000;

// ---------------------------------------------------------------------------
// Shutdown on SIGINT/SIGTERM: stop accepting, abort running work, free the
// model. A second signal exits at once.
const shutdownSignals = new Set();
let stopping = false;
async function shutdown(signal) {
  if (stopping) {
    console.error(`llm-server: ${signal} again, exiting now`);
    process.exit(130);
  }
  stopping = true;
  console.error(`llm-server: ${signal}, shutting down`);
  const closed = new Promise((resolve) => server.close(resolve));
  server.closeIdleConnections();
  for (const abort of shutdownSignals) abort.abort(new ApiError(503, "the server is shutting down"));
  const force = setTimeout(() => server.closeAllConnections(), 2000);
  force.unref();
  try {
    await queue;
    await closed;
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  } catch (error) {
    console.error(`llm-server: error while shutting down: ${error?.message ?? error}`);
    process.exit(1);
  }
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));

server.on("error", (error) => {
  console.error(`llm-server: cannot listen on ${args.host}:${port}: ${error.message}`);
  process.exit(1);
});
server.listen(port, args.host, () => {
  const address = server.address();
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  console.log(`listening on http://${host}:${address.port}`);
  if (apiKey) console.error("llm-server: DICTLAB_LLM_SERVER_KEY is set; requests need 'Authorization: Bearer <key>'");
});
