import { positionals, optionValue, words } from "./options.js";
import type { Field } from "./types.js";

/** A command that reaches the guard's own controls from an agent's shell. */
export type ControlVerdict = { family: string; reason: string } | null;

const set = (...items: string[]): ReadonlySet<string> => new Set(items);
const text = (f: Field | undefined): string => (f ? (f.known ? f.text : f.source) : "");

const CLI_VALUE_OPTIONS = words(
  "--config --state-dir --agent --maturity --skill --version --status --limit --package --since " +
    "--category --ttl-hours --note --reason --expires --advisory --format",
);
// Commands of our CLI that only read. Anything else (install, whitelist add, approvals resolve, overrides add …,
// and commands added later) changes what the guard allows and is refused from an agent's shell.
const READ_ONLY = words("check installed doctor shell-check install-policy exposure sbom help");
const READ_ONLY_GROUPS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["whitelist", set("list", "help")],
  ["approvals", set("list", "help")],
  ["overrides", set("list", "help")],
  ["audit", set("query", "verify", "help")],
  ["advisories", set("status", "help")],
  ["quarantine", set("list", "help")],
]);

/** `package-guard …` and `openclaw packages …`. */
export const guardCliVerdict = (args: Field[], name: string): ControlVerdict => {
  const ps = positionals(args, CLI_VALUE_OPTIONS);
  const top = ps[0]?.field;
  if (!top) return null;
  const deny = (what: string): ControlVerdict => ({
    family: "guard-cli",
    reason: `\`${name} ${what}\` changes what package-guard allows; only an operator may run it, not an agent`,
  });
  if (!top.known) return deny(top.source);
  if (READ_ONLY.has(top.text)) return null;
  const group = READ_ONLY_GROUPS.get(top.text);
  const sub = ps[1]?.field;
  if (group && (!sub || (sub.known && group.has(sub.text)))) return null;
  return deny(`${top.text}${sub ? ` ${text(sub)}` : ""}`);
};

// Gateway methods an agent's shell must not call: the guard's RPC, plugin and exec approvals (resolving its own
// approval), and storing widgets past the widget gate.
const GUARDED_METHODS = [/^packages\./i, /^plugin\.approvals?\./i, /^exec\.approvals?\./i, /^board\.widget\.put$/i];
// Config and plugin mutations are refused when they may touch the guard (its block, plugins.*, installPolicy).
const MUTATING_METHODS =
  /^(config\.(set|unset|patch|apply|replace)|plugins\.(install|uninstall|enable|disable|update|remove))$/i;
const TOUCHES_GUARD = /plugins|package-guard|installpolicy/i;

const OPENCLAW_VALUE_OPTIONS = words(
  "--profile --log-level --container --params --timeout --url --token --password --expect-final " +
    "--config --agent --path --value",
);

const openclawGateway = (args: Field[], ps: ReturnType<typeof positionals>): ControlVerdict => {
  if (!ps[1]?.field.known || ps[1].field.text !== "call") return null;
  const method = ps[2]?.field;
  if (!method) return null;
  const deny = (why: string): ControlVerdict => ({
    family: "gateway-call",
    reason: `\`openclaw gateway call ${text(method)}\` ${why}`,
  });
  if (!method.known) return deny("names a method the gate cannot read");
  if (GUARDED_METHODS.some((re) => re.test(method.text)))
    return deny("reaches package-guard's controls or an approval; only an operator may call it");
  if (MUTATING_METHODS.test(method.text)) {
    const params = optionValue(args, "--params");
    if (!params || !params.known || TOUCHES_GUARD.test(params.text) || TOUCHES_GUARD.test(params.source))
      return deny("changes the configuration or plugins package-guard depends on");
  }
  return null;
};

/** `openclaw …`: the commands that reach the guard's controls, its config block or an approval. */
export const openclawVerdict = (args: Field[]): ControlVerdict => {
  const ps = positionals(args, OPENCLAW_VALUE_OPTIONS);
  const top = ps[0]?.field;
  if (!top) return null;
  if (!top.known) return { family: "openclaw-cli", reason: `\`openclaw ${top.source}\` cannot be read` };
  const sub = ps[1]?.field;
  const all = args.map(text).join(" ");
  switch (top.text) {
    case "packages":
      return guardCliVerdict(args.slice(ps[0]!.index + 1), "openclaw packages");
    case "gateway":
      return openclawGateway(args, ps);
    case "approvals":
      if (!sub || (sub.known && words("list pending get show status help").has(sub.text))) return null;
      return {
        family: "approvals",
        reason: `\`openclaw approvals ${text(sub)}\` decides approvals; an agent may not approve its own requests`,
      };
    case "config":
      if (
        !sub ||
        (sub.known && !words("set unset patch apply edit import set-ref reset rm delete del replace").has(sub.text))
      )
        return null;
      if (sub.known && ["edit", "apply", "import", "reset", "replace"].includes(sub.text))
        return { family: "config", reason: `\`openclaw config ${sub.text}\` can change package-guard's configuration` };
      return TOUCHES_GUARD.test(all) || args.some((f) => !f.known)
        ? {
            family: "config",
            reason: `\`openclaw config ${text(sub)}\` changes package-guard's configuration or plugins`,
          }
        : null;
    case "plugins":
      if (
        sub &&
        (!sub.known || words("disable uninstall remove update deny link").has(sub.text)) &&
        (/package-guard|--all/i.test(all) || args.some((f) => !f.known))
      )
        return { family: "plugins", reason: `\`openclaw plugins ${text(sub)}\` would change or remove package-guard` };
      return null;
    default:
      return null;
  }
};
