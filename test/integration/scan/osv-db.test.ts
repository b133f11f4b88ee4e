import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parseConfig } from "../../../src/config.js";
import { createScanner } from "../../../src/scan/factory.js";
import type { Runner } from "../../../src/util/exec.js";
import { REPO_ROOT } from "../../helpers/repo-root.js";
import { describeIf } from "../../helpers/skip.js";

// The workspace's full snapshot (2,660 advisories); a fresh clone only has the in-repo subset, which the unit tests
// cover.
const SNAPSHOT = join(REPO_ROOT, "..", "shared", "data", "pypa-advisory-database");

const noProcesses: Runner = async () => {
  throw new Error("the offline scanner must not spawn anything");
};

const describeWithSnapshot = describeIf(
  existsSync(join(SNAPSHOT, "vulns")),
  `the full PyPA advisory snapshot tests: ${SNAPSHOT} is missing (CI has ../shared beside the clone)`,
);

describeWithSnapshot("osv-db scanner on the full PyPA advisory snapshot", () => {
  const scanner = createScanner(
    { ...parseConfig({ scan: { scanner: "osv-db", osvDbDir: SNAPSHOT } }, tmpdir()).scan, pipAudit: "", cacheDir: "" },
    noProcesses,
  );
  const ids = (findings: { id: string }[] | undefined) => (findings ?? []).map((f) => f.id).toSorted();

  it("flags known-vulnerable releases and passes fixed ones", async () => {
    const out = await scanner.scan([
      { ecosystem: "PyPI", name: "pyyaml", version: "5.3" },
      { ecosystem: "PyPI", name: "pyyaml", version: "6.0.1" },
      { ecosystem: "PyPI", name: "jinja2", version: "2.10" },
      { ecosystem: "PyPI", name: "jinja2", version: "3.1.4" },
      { ecosystem: "PyPI", name: "requests", version: "2.19.0" },
      { ecosystem: "PyPI", name: "requests", version: "2.32.3" },
      { ecosystem: "PyPI", name: "django", version: "3.2.0" },
      { ecosystem: "PyPI", name: "urllib3", version: "1.26.4" },
    ]);
    expect(ids(out.get("PyPI:pyyaml@5.3"))).toEqual(["PYSEC-2020-96", "PYSEC-2021-142"]);
    expect(out.get("PyPI:pyyaml@6.0.1")).toEqual([]);
    expect(ids(out.get("PyPI:jinja2@2.10"))).toEqual(["PYSEC-2019-217", "PYSEC-2021-66"]);
    expect(out.get("PyPI:jinja2@3.1.4")).toEqual([]);
    expect(ids(out.get("PyPI:requests@2.19.0"))).toEqual(["PYSEC-2018-28", "PYSEC-2023-74"]);
    expect(out.get("PyPI:requests@2.32.3")).toEqual([]);
    expect(out.get("PyPI:django@3.2.0")?.length).toBeGreaterThan(10);
    expect(out.get("PyPI:django@3.2.0")?.find((f) => f.id === "PYSEC-2021-7")?.fixedVersions).toContain("3.2.1");
    expect(ids(out.get("PyPI:urllib3@1.26.4"))).toContain("PYSEC-2021-108");
  });

  it("handles last_affected ranges, dotted folder names and withdrawn advisories as real data has them", async () => {
    const out = await scanner.scan([
      { ecosystem: "PyPI", name: "py", version: "1.11.0" }, // PYSEC-2022-42969: last_affected 1.11.0
      { ecosystem: "PyPI", name: "jw-util", version: "1.0" }, // folder `jw.util`
      { ecosystem: "PyPI", name: "redis", version: "4.5.4" }, // PYSEC-2023-73 is withdrawn
    ]);
    expect(ids(out.get("PyPI:py@1.11.0"))).toEqual(["PYSEC-2022-42969"]);
    expect(ids(out.get("PyPI:jw-util@1.0"))).toEqual(["PYSEC-2020-341"]);
    expect(ids(out.get("PyPI:redis@4.5.4"))).not.toContain("PYSEC-2023-73");
  });
});
