import { describe, expect, it } from "vitest";
import { formatRequirement, parseRequirement, parseSpecifier } from "../../../src/policy/requirement.js";
import { thrown } from "./helpers.js";

// [input, name, extras, specifier]
const GOOD: [string, string, string[], string][] = [
  ["pandas", "pandas", [], ""],
  ["Pandas", "pandas", [], ""],
  ["PANDAS", "pandas", [], ""],
  ["pandas>=2.0,<3", "pandas", [], ">=2.0,<3"],
  ["pandas >= 2.0 , < 3", "pandas", [], ">=2.0,<3"],
  ["  pandas>=2  ", "pandas", [], ">=2"],
  ["pandas==2.2.2", "pandas", [], "==2.2.2"],
  ["pandas!=2.1.0", "pandas", [], "!=2.1.0"],
  ["pandas<=2.2", "pandas", [], "<=2.2"],
  ["pandas<3", "pandas", [], "<3"],
  ["pandas>2", "pandas", [], ">2"],
  ["pandas~=2.2", "pandas", [], "~=2.2"],
  ["pandas~=2.2.1", "pandas", [], "~=2.2.1"],
  ["pandas==2.*", "pandas", [], "==2.*"],
  ["pandas==2.1.*", "pandas", [], "==2.1.*"],
  ["pandas!=2.1.*", "pandas", [], "!=2.1.*"],
  ["pandas==2.1rc1", "pandas", [], "==2.1rc1"],
  ["pandas==2.1-RC1", "pandas", [], "==2.1rc1"],
  ["pandas==2.1.dev3", "pandas", [], "==2.1.dev3"],
  ["pandas==2.1.post1", "pandas", [], "==2.1.post1"],
  ["pandas==v2.1", "pandas", [], "==2.1"],
  ["pandas==02.01", "pandas", [], "==2.1"],
  ["pandas[performance]", "pandas", ["performance"], ""],
  ["pandas[performance]>=2.0,<3", "pandas", ["performance"], ">=2.0,<3"],
  ["pandas [ Excel , performance ] >=2", "pandas", ["excel", "performance"], ">=2"],
  ["pandas[b,a,b]", "pandas", ["a", "b"], ""],
  ["pandas[Perf_Tools]", "pandas", ["perf-tools"], ""],
  ["scikit-learn>=1.3", "scikit-learn", [], ">=1.3"],
  ["scikit_learn", "scikit-learn", [], ""],
  ["Scikit.Learn", "scikit-learn", [], ""],
  ["pan_das", "pan-das", [], ""],
  ["pan.das", "pan-das", [], ""],
  ["pan--__..das", "pan-das", [], ""],
  ["beautifulsoup4==4.12.3", "beautifulsoup4", [], "==4.12.3"],
  ["zope.interface", "zope-interface", [], ""],
  ["a", "a", [], ""],
  ["x1", "x1", [], ""],
  ["1password", "1password", [], ""],
  // Typosquats and look-alikes in ASCII pass the grammar: the whitelist, not the parser, refuses them.
  ["pandsa", "pandsa", [], ""],
  ["pandas2", "pandas2", [], ""],
  ["reqeusts==2.31", "reqeusts", [], "==2.31"],
  ["python-requests", "python-requests", [], ""],
  ["nunpy", "nunpy", [], ""],
  ["pandas>=2,<3,!=2.1.0", "pandas", [], ">=2,<3,!=2.1.0"],
  ["n".repeat(100), "n".repeat(100), [], ""],
];

// [label, input, reason]
const BAD: [string, string, string][] = [
  ["empty", "", "empty"],
  ["blank", "   ", "empty"],
  ["direct URL after @", "pandas @ https://x/y.whl", "url"],
  ["@ without spaces", "pandas@https://x/y.whl", "url"],
  ["bare URL", "https://evil.example/pandas-2.0.whl", "url"],
  ["scheme only", "http://evil", "url"],
  ["@ file", "pandas @ file:///tmp/x", "url"],
  ["git+https", "git+https://evil.example/pandas.git", "vcs"],
  ["name @ git+", "pandas @ git+https://evil.example/pandas.git", "vcs"],
  ["hg+", "hg+http://evil/x", "vcs"],
  ["svn+", "svn+svn://evil/x", "vcs"],
  ["relative path", "./pkg", "path"],
  ["parent path", "../pkg", "path"],
  ["dot", ".", "path"],
  ["absolute wheel", "/abs.whl", "path"],
  ["home", "~/pkg", "path"],
  ["tilde alone", "~", "path"],
  ["file:", "file:pkg", "path"],
  ["wheel file", "pandas-2.0-py3-none-any.whl", "path"],
  ["sdist", "pandas-2.0.tar.gz", "path"],
  ["windows path", "C:\\pkgs\\pandas", "path"],
  ["slash inside", "evil/pandas", "path"],
  ["marker", 'pandas; os_name=="nt"', "marker"],
  ["never-true marker", "pandas[performance]>=2; python_version<'0'", "marker"],
  ["marker no space", "pandas;sys_platform", "marker"],
  ["-i first", "-i http://evil pandas", "option"],
  ["--index-url after", "pandas --index-url http://evil", "option"],
  ["--extra-index-url", "pandas --extra-index-url=http://evil", "option"],
  ["-e", "-e .", "option"],
  ["-r", "-r https://evil/req.txt", "option"],
  ["-r local", "-r requirements.txt", "option"],
  ["--trusted-host", "pandas --trusted-host evil", "option"],
  ["--no-binary", "--no-binary :all: pandas", "option"],
  ["dash alone", "-", "option"],
  ["===", "pandas===2.2.2", "arbitrary-equality"],
  ["=== legacy", "pandas===foobar", "arbitrary-equality"],
  ["local version", "pandas==1.0+evil", "local-version"],
  ["local in >=", "pandas>=1.0+cpu", "local-version"],
  ["epoch", "pandas==1!2.0", "epoch"],
  ["epoch in >=", "pandas>=1!0.1", "epoch"],
  ["wildcard on >=", "pandas>=2.*", "wildcard"],
  ["wildcard on <", "pandas<3.*", "wildcard"],
  ["wildcard on ~=", "pandas~=2.*", "wildcard"],
  ["wildcard not at end", "pandas==2.*.1", "wildcard"],
  ["bare star", "pandas==*", "wildcard"],
  ["wildcard after pre", "pandas==2.0rc1.*", "wildcard"],
  ["double star", "pandas==2.**", "wildcard"],
  ["~= one segment", "pandas~=2", "compatible-release"],
  ["=>", "pandas=>2", "operator"],
  ["single =", "pandas=2", "operator"],
  ["<>", "pandas<>2", "operator"],
  ["caret", "pandas^2", "syntax"],
  ["tilde", "pandas~2", "operator"],
  ["!", "pandas!2", "epoch"],
  ["invalid version", "pandas==abc", "version"],
  ["invalid version 2", "pandas>=2..0", "version"],
  ["operator without version", "pandas>=", "version"],
  ["empty clause", "pandas>=2,,<3", "empty-clause"],
  ["trailing comma", "pandas>=2,", "empty-clause"],
  ["leading comma", "pandas,>=2", "syntax"],
  ["duplicate clause", "pandas>=2,>=2", "duplicate-clause"],
  ["duplicate by value", "pandas>=2,>=2.0", "duplicate-clause"],
  ["fullwidth", "ｐａｎｄａｓ", "non-ascii"],
  ["Cyrillic р and а", "раndas", "non-ascii"],
  ["Cyrillic a only", "pаndas", "non-ascii"],
  ["Greek omicron", "requests-οauth", "non-ascii"],
  ["Turkish İ", "İnflect", "non-ascii"],
  ["zero-width space", "pandas\u200b", "non-ascii"],
  ["zero-width joiner", "pan\u200ddas", "non-ascii"],
  ["BOM", "\ufeffpandas", "non-ascii"],
  ["NBSP", "pandas\u00a0>=2", "non-ascii"],
  ["RTL override", "pandas\u202e", "non-ascii"],
  ["fullwidth operator", "pandas＞＝2", "non-ascii"],
  ["trailing newline", "pandas\n", "control-char"],
  ["newline injection", "pandas\n--index-url http://evil", "control-char"],
  ["CR", "pandas\r", "control-char"],
  ["tab", "pandas\t>=2", "control-char"],
  ["NUL", "pandas\u0000", "control-char"],
  ["DEL", "pandas\u007f", "control-char"],
  ["escape", "\u001b[31mpandas", "control-char"],
  ["huge", "a".repeat(201), "too-long"],
  ["very huge", "pandas>=2,<3,".repeat(100_000), "too-long"],
  ["name too long", "n".repeat(101), "name"],
  ["no name", ">=2", "name"],
  ["starts with _", "_pandas", "name"],
  ["ends with -", "pandas- >=2", "name"],
  ["ends with .", "pandas.", "name"],
  ["space in name", "pan das", "syntax"],
  ["bare version after name", "pandas 2.0", "syntax"],
  ["parenthesized", "pandas (>=2)", "syntax"],
  ["comment", "pandas # ok", "syntax"],
  ["shell", "pandas$(id)", "syntax"],
  ["pipe", "pandas|sh", "syntax"],
  ["quote", "'pandas'", "syntax"],
  ["backtick", "pandas`id`", "syntax"],
  ["ampersand", "pandas&&id", "syntax"],
  ["colon", "pandas:2", "syntax"],
  ["empty extras", "pandas[]", "extras-syntax"],
  ["unclosed extras", "pandas[perf", "extras-syntax"],
  ["extras twice", "pandas[a][b]", "extras-syntax"],
  ["extras after version", "pandas>=2[perf]", "extras-syntax"],
  ["bad extra", "pandas[-x]", "extras-syntax"],
  ["bad extra 2", "pandas[_x]", "extras-syntax"],
  ["nested extras", "pandas[[x]]", "extras-syntax"],
];

describe("parseRequirement accepts the strict grammar", () => {
  it.each(GOOD)("%j", (input, name, extras, specifier) => {
    expect(parseRequirement(input)).toEqual({ name, extras, specifier });
  });

  it.each(GOOD)("%j round-trips through formatRequirement", (input) => {
    const parsed = parseRequirement(input);
    const text = formatRequirement(parsed);
    // SECURITY: what reaches the resolver is rebuilt, never the raw text: no spaces, quotes, or anything else.
    expect(text).toMatch(
      /^[a-z0-9-]+(\[[a-z0-9-]+(,[a-z0-9-]+)*\])?([<>=!~]{1,2}[0-9a-z.*]+(,[<>=!~]{1,2}[0-9a-z.*]+)*)?$/,
    );
    expect(parseRequirement(text)).toEqual(parsed);
  });
});

describe("parseRequirement refuses hostile and malformed input", () => {
  it.each(BAD)("%s", (_label, input, reason) => {
    const e = thrown(() => parseRequirement(input));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe(reason);
  });

  it("the table is large", () => {
    expect(GOOD.length + BAD.length).toBeGreaterThanOrEqual(80);
  });

  it("refuses a non-string", () => {
    expect(thrown(() => parseRequirement(42 as unknown as string)).details.reason).toBe("type");
    expect(thrown(() => parseRequirement(null as unknown as string)).details.reason).toBe("type");
  });

  it("names the specific problem in words a person can act on", () => {
    expect(thrown(() => parseRequirement("pandas @ https://x/y.whl")).message).toBe(
      "Direct URLs are not allowed: request a package by name and version range, e.g. 'pandas>=2,<3'",
    );
    expect(thrown(() => parseRequirement("раndas")).message).toMatch(/^Character U\+0440 at position 0 is not allowed/);
    expect(thrown(() => parseRequirement("pandas\n")).message).toMatch(/^Control character U\+000A at position 6/);
    expect(thrown(() => parseRequirement("pandas~=2")).message).toBe(
      "'~=2' needs at least two version parts, e.g. '~=2.0'",
    );
  });

  it("never echoes control or non-ASCII characters back", () => {
    const e = thrown(() => parseRequirement("pandas\u202e\u0000"));
    expect(e.message).not.toMatch(/[^\x20-\x7e…]/);
  });
});

describe("parseSpecifier (a separately given version)", () => {
  it.each([
    ["", ""],
    ["   ", ""],
    ["2.1.0", "==2.1.0"],
    ["v2.1", "==2.1"],
    ["2.1rc1", "==2.1rc1"],
    [">=2.0,<3", ">=2.0,<3"],
    [" >= 2.0 , < 3 ", ">=2.0,<3"],
    ["~=2.0", "~=2.0"],
    ["==2.*", "==2.*"],
    ["!=2.1.*,>=2", "!=2.1.*,>=2"],
    ["2.*", "==2.*"],
  ])("%j → %j", (input, expected) => {
    expect(parseSpecifier(input)).toBe(expected);
  });

  it.each([
    ["latest", "syntax"],
    ["2.0+evil", "local-version"],
    ["1!2.0", "epoch"],
    ["===2.0", "arbitrary-equality"],
    [">=2.*", "wildcard"],
    ["-i http://evil", "option"],
    ["--pre", "option"],
    ["https://evil/x.whl", "url"],
    [">=2; os_name=='nt'", "marker"],
    ["2.0\n", "control-char"],
    ["２.0", "non-ascii"],
    [">=2,>=2", "duplicate-clause"],
    ["=2", "operator"],
    ["2.0 3.0", "syntax"],
    ["2.*.1", "wildcard"],
    ["x".repeat(201), "too-long"],
  ])("%j is refused (%s)", (input, reason) => {
    const e = thrown(() => parseSpecifier(input));
    expect(e.code).toBe("INVALID_REQUIREMENT");
    expect(e.details.reason).toBe(reason);
  });
});

describe("formatRequirement", () => {
  it("writes name, extras, then the canonical specifier", () => {
    expect(formatRequirement({ name: "pandas", extras: ["performance"], specifier: ">=2.0,<3" })).toBe(
      "pandas[performance]>=2.0,<3",
    );
    expect(formatRequirement({ name: "numpy", extras: [], specifier: "" })).toBe("numpy");
    expect(formatRequirement({ name: "a", extras: ["x", "y"], specifier: "==1" })).toBe("a[x,y]==1");
  });
});
