import { isAbsolute } from "node:path";
import { toPackageGuardError } from "../errors.js";
import { ALLOW, blockVerdict, vetInstallTarget, type SkillVetter, type Verdict } from "../service/vet-target.js";
import type { SkillFinding } from "../skills/findings.js";
import { isRecord } from "../util/is-record.js";
import { forTerminal } from "../util/terminal.js";

/** What a security.installPolicy command writes on stdout (OpenClaw protocol 1). */
export type PolicyResponse = {
  protocolVersion: 1;
  decision: "allow" | "warn" | "block";
  reason?: string;
  findings?: SkillFinding[];
};

/** OpenClaw sends at most 256 KiB; this leaves room, and anything bigger is not a request from it. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
const READ_TIMEOUT_MS = 10_000;

const refuse = (why: string): Verdict => blockVerdict(`package-guard install policy: ${why}; the install is blocked`);

const toResponse = (v: Verdict): PolicyResponse => ({
  protocolVersion: 1,
  decision: v.decision,
  ...(v.reason ? { reason: v.reason } : {}),
  ...(v.findings.length > 0 ? { findings: v.findings } : {}),
});

/** Reads all of stdin, refusing more than `maxBytes` or a writer that never closes it. */
export const readBounded = async (
  input: AsyncIterable<Buffer | string>,
  maxBytes = MAX_REQUEST_BYTES,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<string> => {
  const chunks: Buffer[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const read = (async () => {
    for await (const chunk of input) {
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      size += buffer.length;
      if (size > maxBytes) throw new Error(`the request is larger than ${maxBytes} bytes`);
      chunks.push(buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
  })();
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete request on stdin within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([read, late]);
  } finally {
    clearTimeout(timer);
  }
};

/** One request (protocol 1) in, one decision out. Never throws: anything unexpected is a block with its reason. */
export const decideInstallPolicy = async (
  text: string,
  openService: () => Promise<SkillVetter>,
): Promise<PolicyResponse> => {
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch {
    return toResponse(refuse("stdin is not one JSON object"));
  }
  if (!isRecord(request)) return toResponse(refuse("the request is not a JSON object"));
  if (request.protocolVersion !== 1)
    return toResponse(
      refuse(
        `unsupported protocolVersion ${JSON.stringify(request.protocolVersion) ?? "(missing)"} (this command speaks 1)`,
      ),
    );
  const { targetType, targetName, sourcePath, sourcePathKind, skill } = request;
  if (targetType === "plugin") return toResponse(ALLOW);
  if (targetType !== "skill")
    return toResponse(refuse(`unknown targetType ${JSON.stringify(targetType) ?? "(missing)"}`));
  if (typeof targetName !== "string" || targetName.trim() === "" || targetName.length > 256)
    return toResponse(refuse("targetName must be a non-empty string"));
  if (typeof sourcePath !== "string" || !isAbsolute(sourcePath))
    return toResponse(refuse("sourcePath must be an absolute path"));
  if (sourcePathKind !== "directory" && sourcePathKind !== "file")
    return toResponse(refuse("sourcePathKind must be 'directory' or 'file'"));
  if (skill !== undefined && !isRecord(skill)) return toResponse(refuse("skill must be an object"));
  const installSpec = skill?.installSpec;
  if (installSpec !== undefined && !isRecord(installSpec))
    return toResponse(refuse("skill.installSpec must be an object"));
  try {
    const verdict = await vetInstallTarget(
      await openService(),
      { targetType, targetName, sourcePath, sourcePathKind, installSpec },
      { source: "policy", client: "install-policy" },
    );
    return toResponse(verdict);
  } catch (error) {
    const e = toPackageGuardError(error);
    return toResponse(refuse(`could not vet the skill ([${e.code}] ${e.message})`));
  }
};

/**
 * `package-guard install-policy`: reads the request from stdin, writes exactly one JSON line on stdout and
 * exits 0 (OpenClaw treats any other exit, or silence, as a failure and blocks).
 */
export const runInstallPolicy = async (deps: {
  stdin: AsyncIterable<Buffer | string>;
  stdout: (text: string) => void;
  openService: () => Promise<SkillVetter>;
}): Promise<number> => {
  let response: PolicyResponse;
  try {
    response = await decideInstallPolicy(await readBounded(deps.stdin), deps.openService);
  } catch (error) {
    response = toResponse(refuse(`cannot read the request (${(error as Error).message})`));
  }
  deps.stdout(`${forTerminal(JSON.stringify(response))}\n`);
  return 0;
};
