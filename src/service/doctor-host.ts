import type { PythonChoice } from "../python/interpreter.js";
import type { DoctorCheck, DoctorContext } from "./doctor-types.js";

/** Agent ids in the plugin block must be OpenClaw's own, exactly: an id that matches nothing gets defaultMaturity. */
export const agentChecks = async (ctx: DoctorContext): Promise<DoctorCheck[]> => {
  const configured = Object.keys(ctx.config.agents);
  if (ctx.hostAgents === null) {
    return [
      {
        check: "agents",
        status: "ok",
        detail: `${configured.length} agent(s) configured; OpenClaw's agent list is not at hand to compare`,
      },
    ];
  }
  const host = ctx.hostAgents;
  const out: DoctorCheck[] = [];
  for (const id of configured) {
    if (host.includes(id)) continue;
    const sameButCase = host.find((h) => h.toLowerCase() === id.toLowerCase());
    out.push(
      sameButCase
        ? {
            check: "agents",
            status: "warn",
            detail:
              `agents.${id}: OpenClaw's agent is '${sameButCase}' (ids match exactly), so it gets ` +
              `defaultMaturity (${ctx.config.defaultMaturity}), not ${ctx.config.agents[id]}`,
            fix: `Rename the key agents.${id} to '${sameButCase}' in the plugin block`,
          }
        : {
            check: "agents",
            status: "warn",
            detail: `agents.${id}: OpenClaw has no agent '${id}' (it has: ${host.join(", ") || "none"})`,
            fix: `Use an id from OpenClaw's agents.entries, or remove agents.${id}`,
          },
    );
  }
  return out.length > 0
    ? out
    : [
        {
          check: "agents",
          status: "ok",
          detail: `${configured.length} agent(s) configured, each one of OpenClaw's (${host.join(", ")})`,
        },
      ];
};

/** How the interpreter for new venvs was chosen, and whether this process's PATH would disagree. */
export const pythonCheck = (choice: PythonChoice, version: string | null, configured: string): DoctorCheck => {
  const what = `${choice.path}${version ? ` (Python ${version})` : ""}`;
  if (choice.path === null) {
    return {
      check: "python",
      status: "fail",
      detail: `no Python found for '${configured}'`,
      fix: "Install Python 3 or set python.python to the absolute path of an interpreter",
    };
  }
  if (choice.how === "configured") return { check: "python", status: "ok", detail: `${what}: python.python` };
  const record = choice.record;
  if (choice.how === "recorded" && choice.onPath !== choice.path) {
    return {
      check: "python",
      status: "warn",
      detail:
        `every entry point uses ${what}, recorded by ${record?.by} at ${record?.at} in ${record?.file}; ` +
        `this process's PATH finds ${choice.onPath ?? "none"} for '${configured}'`,
      fix: `To choose one, set python.python to its absolute path (e.g. ${choice.path})`,
    };
  }
  return {
    check: "python",
    status: "ok",
    detail:
      `${what}: '${configured}' on PATH, recorded in ${record?.file ?? "the state dir"} so every entry point ` +
      `uses it`,
  };
};
