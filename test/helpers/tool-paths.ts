import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.js";

/** The uv / pip-audit the project provisions into .tools/py (scripts/provision.sh), and the system python. */
export const TOOLS = {
  uv: process.env.PG_UV ?? join(REPO_ROOT, ".tools", "py", "bin", "uv"),
  pipAudit: process.env.PG_PIP_AUDIT ?? join(REPO_ROOT, ".tools", "py", "bin", "pip-audit"),
  python: process.env.PG_PYTHON ?? "python3",
};

export const toolsProvisioned = (): boolean => existsSync(TOOLS.uv) && existsSync(TOOLS.pipAudit);

/** The plugin's `python` block pointing at the provisioned tools. */
export const toolConfig = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  uv: TOOLS.uv,
  pipAudit: TOOLS.pipAudit,
  python: TOOLS.python,
  ...extra,
});
