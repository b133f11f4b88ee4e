import { isRecord } from "../util/is-record.js";
import { isCdnHost } from "./cdn-url.js";
import type { PlanRefusal } from "./plan.js";

/**
 * A pinned widget may ask for fetch access to origins (`capabilities.netOrigins`). Fetch access to a CDN would let
 * a script download library code with no integrity check, so those origins are refused.
 */
export const netOriginRefusals = (capabilities: unknown): PlanRefusal[] => {
  if (!isRecord(capabilities) || !Array.isArray(capabilities.netOrigins)) return [];
  const out: PlanRefusal[] = [];
  for (const origin of capabilities.netOrigins) {
    let host: string | null = null;
    try {
      host = new URL(String(origin)).hostname;
    } catch {
      continue;
    }
    if (isCdnHost(host))
      out.push({
        code: "NOT_WHITELISTED",
        message: `fetch access to ${host} would let a script download code no integrity check covers`,
        where: "capabilities.netOrigins",
      });
  }
  return out;
};
