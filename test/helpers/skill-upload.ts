import { createHash } from "node:crypto";
import type { CallOutcome, GatewayClient } from "./gateway-client.js";
import { zipFiles } from "./skill-archive.js";

/** skills.upload.begin/chunk/commit then skills.install {source: "upload"}: what fires the before_install hook. */
export const uploadAndInstallSkill = async (
  admin: GatewayClient,
  slug: string,
  files: Record<string, string>,
): Promise<CallOutcome<{ message?: string }>> => {
  const zip = zipFiles(files);
  const sha256 = createHash("sha256").update(zip).digest("hex");
  const begin = await admin.call<{ uploadId: string }>("skills.upload.begin", {
    kind: "skill-archive",
    slug,
    sizeBytes: zip.length,
    sha256,
  });
  if (!begin.ok) throw new Error(`skills.upload.begin: ${JSON.stringify(begin.error)}`);
  const { uploadId } = begin.payload;
  const chunk = await admin.call("skills.upload.chunk", { uploadId, offset: 0, dataBase64: zip.toString("base64") });
  if (!chunk.ok) throw new Error(`skills.upload.chunk: ${JSON.stringify(chunk.error)}`);
  const commit = await admin.call("skills.upload.commit", { uploadId, sha256 });
  if (!commit.ok) throw new Error(`skills.upload.commit: ${JSON.stringify(commit.error)}`);
  return admin.call<{ message?: string }>("skills.install", { source: "upload", uploadId, slug });
};
