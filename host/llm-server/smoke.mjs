#!/usr/bin/env node
// Smoke test of the local LLM server: starts server.mjs on a free loopback
// port, checks /health, /v1/models and a bad request, sends one real
// feature-labelling prompt (the format of Bills et al. 2023, "Language models
// can explain neurons in language models"), prints the answer and the
// timings, and exits non-zero if the HTTP shape is wrong or the answer empty.
//
//   node smoke.mjs [--model PATH] [--threads 1]
//
// The model defaults to $DICTLAB_LLM_MODEL, else the file .ci/install-llm
// installs.
import { spawn } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";

const here = dirname(fileURLToPath(import.meta.url));
export const defaultModel =
  process.env.DICTLAB_LLM_MODEL || "/var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf";

// Starts server.mjs with --port 0 and resolves once it prints its
// "listening on" line: {url, child, startSeconds, stop()}.
export function startServer({ model = defaultModel, threads = 1, context = 2048, extraArgs = [], env = process.env } = {}) {
  if (!existsSync(model)) throw new Error(`no model at ${model} (run .ci/install-llm)`);
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [join(here, "server.mjs"), "--model", model, "--port", "0", "--threads", String(threads), "--context", String(context), ...extraArgs],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not start within 120 s:\n${stderr}`));
    }, 120_000);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening:\n${stderr}`));
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      const exited = new Promise((done) => child.on("exit", (code, signal) => done(code ?? signal)));
      resolve({
        url: match[1],
        child,
        startSeconds: (performance.now() - started) / 1000,
        stderr: () => stderr,
        stop: async () => {
          child.kill("SIGTERM");
          return exited;
        },
      });
    });
  });
}

// POST /v1/chat/completions; returns {status, body, seconds}.
export async function chat(url, request, headers = {}) {
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof request === "string" ? request : JSON.stringify(request),
  });
  const body = await response.json();
  return { status: response.status, body, seconds: (performance.now() - started) / 1000 };
}

// Bills et al. 2023 explanation prompt: token<TAB>activation lines (0-10)
// for a few top-activating excerpts, ending with the sentence the model
// completes.
export const labellingSystem =
  "We're studying neurons in a neural network. Each neuron looks for some particular thing in a short document. " +
  "Look at the parts of the document the neuron activates for and summarize in a single sentence what the neuron is " +
  "looking for. Don't list examples of words.\n\n" +
  "The activation format is token<tab>activation. Activation values range from 0 to 10. A neuron finding what " +
  "it's looking for is represented by a non-zero activation value. The higher the activation value, the stronger the match.";

// A feature that fires on numbers (digits) in running text.
export const excerpts = [
  [["The", 0], [" train", 0], [" leaves", 0], [" at", 0], [" 7", 9], [":", 2], ["45", 10], [" every", 0], [" morning", 0], [".", 0]],
  [["She", 0], [" bought", 0], [" 12", 10], [" eggs", 1], [" and", 0], [" 3", 9], [" loaves", 0], [" of", 0], [" bread", 0], [".", 0]],
  [["In", 0], [" 1969", 10], [",", 1], [" the", 0], [" first", 2], [" humans", 0], [" walked", 0], [" on", 0], [" the", 0], [" moon", 0], [".", 0]],
  [["Turn", 0], [" to", 0], [" page", 1], [" 42", 10], [" and", 0], [" read", 0], [" the", 0], [" second", 3], [" paragraph", 0], [".", 0]],
  [["The", 0], [" price", 1], [" rose", 0], [" by", 0], [" 5", 9], ["%", 4], [" to", 0], [" $", 2], ["80", 10], [".", 0]],
];

// The same text as plugins/llm_client/explanation_prompt.cc builds.
export function labellingMessages(neuron = 1, examples = excerpts) {
  const blocks = examples.map((tokens) => `<start>\n${tokens.map(([token, activation]) => `${token}\t${activation}\n`).join("")}<end>\n\n`);
  return [
    { role: "system", content: labellingSystem },
    {
      role: "user",
      content: `Neuron ${neuron}\nActivations:\n${blocks.join("")}Explanation of neuron ${neuron} behavior: the main thing this neuron does is find`,
    },
  ];
}

// Throws unless `body` has the OpenAI chat.completion shape.
export function checkCompletionShape(body) {
  const problems = [];
  const expect = (ok, what) => ok || problems.push(what);
  expect(typeof body?.id === "string" && body.id.length > 0, "id is a non-empty string");
  expect(body?.object === "chat.completion", 'object is "chat.completion"');
  expect(Number.isInteger(body?.created), "created is an integer");
  expect(typeof body?.model === "string", "model is a string");
  const choice = body?.choices?.[0];
  expect(Array.isArray(body?.choices) && body.choices.length === 1, "choices has one entry");
  expect(choice?.index === 0, "choices[0].index is 0");
  expect(choice?.message?.role === "assistant", 'choices[0].message.role is "assistant"');
  expect(typeof choice?.message?.content === "string", "choices[0].message.content is a string");
  expect(["stop", "length"].includes(choice?.finish_reason), 'finish_reason is "stop" or "length"');
  const usage = body?.usage;
  expect(Number.isInteger(usage?.prompt_tokens) && usage.prompt_tokens > 0, "usage.prompt_tokens > 0");
  expect(Number.isInteger(usage?.completion_tokens), "usage.completion_tokens is an integer");
  expect(usage?.total_tokens === usage?.prompt_tokens + usage?.completion_tokens, "usage.total_tokens is the sum");
  if (problems.length) throw new Error(`bad chat.completion shape (${problems.join("; ")}):\n${JSON.stringify(body, null, 2)}`);
}

// response_format: a json_schema answer parses and has the schema's shape
// (the grammar enforces it, whatever the model would have said), and a
// format the server does not know is a 400 naming the parameter.
async function checkResponseFormat(url, request, check) {
  const schema = {
    type: "object",
    properties: { explanation: { type: "string", maxLength: 60 }, matches: { type: "array", items: { type: "integer" }, maxItems: 6 } },
    required: ["explanation", "matches"],
    additionalProperties: false,
  };
  const response_format = { type: "json_schema", json_schema: { name: "label", strict: true, schema } };
  const { status, body } = await chat(url, { ...request, max_tokens: 80, response_format });
  check(status === 200, `a json_schema request gets 200 (got ${status}: ${JSON.stringify(body)})`);
  const content = body?.choices?.[0]?.message?.content ?? "";
  let answer = null;
  try {
    answer = JSON.parse(content);
  } catch {
    check(false, `the json_schema answer is JSON (got ${JSON.stringify(content)})`);
  }
  if (answer) {
    check(typeof answer.explanation === "string", `the answer has a string "explanation" (got ${content})`);
    check(Array.isArray(answer.matches) && answer.matches.every(Number.isInteger), `"matches" is a list of integers (got ${content})`);
    console.log(`json_schema answer: ${JSON.stringify(answer)}`);
  }
  const unknown = await chat(url, { ...request, response_format: { type: "yaml" } });
  check(unknown.status === 400 && unknown.body?.error?.param === "response_format", "an unknown response_format type gets 400 naming it");
}

async function main() {
  const { values } = parseArgs({
    options: { model: { type: "string", default: defaultModel }, threads: { type: "string", default: "1" } },
  });
  const server = await startServer({ model: values.model, threads: Number(values.threads) });
  let failed = false;
  const check = (ok, message) => {
    if (!ok) {
      failed = true;
      console.error(`FAIL: ${message}`);
    }
  };
  try {
    console.log(`server ${server.url} ready in ${server.startSeconds.toFixed(2)} s (${values.threads} thread(s))`);

    const health = await fetch(`${server.url}/health`);
    check(health.status === 200 && (await health.json()).status === "ok", "GET /health is 200 {status: ok}");
    const models = await (await fetch(`${server.url}/v1/models`)).json();
    check(models.object === "list" && models.data?.[0]?.object === "model", "GET /v1/models lists one model");

    const bad = await chat(server.url, "{not json");
    check(bad.status === 400 && typeof bad.body?.error?.message === "string", "invalid JSON gets 400 {error: {message}}");
    const noMessages = await chat(server.url, { model: "x" });
    check(noMessages.status === 400 && noMessages.body?.error?.type === "invalid_request_error", "missing messages gets 400");

    const request = { model: models.data?.[0]?.id ?? "local", messages: labellingMessages(), temperature: 0, max_tokens: 40, seed: 1 };
    const { status, body, seconds } = await chat(server.url, request);
    check(status === 200, `the labelling request gets 200 (got ${status}: ${JSON.stringify(body)})`);
    if (status === 200) {
      try {
        checkCompletionShape(body);
      } catch (error) {
        check(false, error.message);
      }
      const answer = body.choices?.[0]?.message?.content ?? "";
      check(answer.trim().length > 0, "the answer is not empty");
      const usage = body.usage ?? {};
      console.log(`prompt: ${usage.prompt_tokens} tokens (Bills et al. 2023 format, ${excerpts.length} excerpts)`);
      console.log(`answer: the main thing this neuron does is find${answer.startsWith(" ") ? "" : " "}${answer.trim()}`);
      console.log(
        `timing: ${seconds.toFixed(2)} s for ${usage.completion_tokens} completion tokens ` +
          `(${(usage.completion_tokens / seconds).toFixed(1)} tokens/s including the prompt), finish_reason ${body.choices?.[0]?.finish_reason}`,
      );
    }
    await checkResponseFormat(server.url, request, check);
  } catch (error) {
    failed = true;
    console.error(`FAIL: ${error.message}`);
  } finally {
    const exit = await server.stop();
    check(exit === 0, `the server exits 0 on SIGTERM (got ${exit})`);
    if (failed) console.error(`server log:\n${server.stderr()}`);
  }
  console.log(failed ? "smoke: FAILED" : "smoke: ok");
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(`smoke: ${error.message}`);
    process.exit(1);
  });
}
