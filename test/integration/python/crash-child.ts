import { PythonEnvironment } from "../../../src/python/environment.js";
import { runProcess } from "../../../src/util/exec.js";
// Run by recovery.test.ts in its own process group, then SIGKILLed mid-install: a gateway crash.
import { harnessConfig } from "./crash-config.js";

const [stateDir, indexUrl, uv] = process.argv.slice(2) as [string, string, string];
const env = new PythonEnvironment(harnessConfig(stateDir, indexUrl, uv), runProcess);
await env.withSkill("a", async (venv) => {
  const previous = await venv.state();
  const wanted = { ...previous.requirements, pyyaml: { specifier: "==6.0.2", extras: [], requestedAt: "t" } };
  const pins = await venv.resolve(wanted);
  process.stdout.write("resolved\n");
  await venv.apply(pins, wanted, { operation: "install", package: "pyyaml" });
});
process.stdout.write("finished\n");
