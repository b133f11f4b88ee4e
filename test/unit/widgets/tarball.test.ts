import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { hasSha512, matchesSha512, sha384Integrity } from "../../../src/widgets/integrity.js";
import { readTarball } from "../../../src/widgets/tarball.js";
import { tarGz } from "../../helpers/tar.js";

const MB = 1024 * 1024;

// Headers of the kinds the shared test writer does not make (links, pax, GNU long names), written field by field.
const header = (path: string, size: number, type: string, linkname = ""): Buffer => {
  const h = Buffer.alloc(512);
  h.write(path.slice(0, 100), 0, "utf8");
  h.write("0000644\0", 100);
  h.write(`${size.toString(8).padStart(11, "0")}\0`, 124);
  h.fill(" ", 148, 156);
  h.write(type, 156);
  h.write(linkname, 157);
  h.write("ustar\0", 257);
  h.write("00", 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return h;
};
const entry = (path: string, data: Buffer | string, type = "0", linkname = ""): Buffer[] => {
  const body = Buffer.from(data);
  return [header(path, body.length, type, linkname), body, Buffer.alloc((512 - (body.length % 512)) % 512)];
};
const archive = (...parts: Buffer[][]): Buffer => gzipSync(Buffer.concat([...parts.flat(), Buffer.alloc(1024)]));
const paxRecord = (key: string, value: string): string => {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
};

describe("readTarball", () => {
  it("reads an npm tarball's files by their path inside the package, whatever the top folder is called", () => {
    const npm = readTarball(
      tarGz([
        { path: "package/package.json", content: "{}" },
        { path: "package/dist/d3.min.js", content: "d3()" },
      ]),
      MB,
    );
    expect([...npm.files.keys()].toSorted()).toEqual(["dist/d3.min.js", "package.json"]);
    expect(npm.files.get("dist/d3.min.js")!.toString()).toBe("d3()");
    const other = readTarball(archive(entry("node/lib/x.js", "x")), MB);
    expect([...other.files.keys()]).toEqual(["lib/x.js"]);
  });

  it("reads pax path records and GNU long names (paths over 100 bytes)", () => {
    const long = `package/${"a/".repeat(60)}file.js`;
    const pax = readTarball(archive(entry("PaxHeader", paxRecord("path", long), "x"), entry("short", "pax")), MB);
    expect(pax.files.get(long.slice("package/".length))!.toString()).toBe("pax");
    const gnu = readTarball(archive(entry("././@LongLink", `${long}\0`, "L"), entry("short", "gnu")), MB);
    expect(gnu.files.get(long.slice("package/".length))!.toString()).toBe("gnu");
  });

  it("marks a path that occurs twice, or as a link, as ambiguous: which bytes a CDN serves is unknown", () => {
    const c = readTarball(
      archive(
        entry("package/x.js", "first"),
        entry("package/x.js", "second"),
        entry("package/l.js", "", "2", "x.js"),
        entry("package/h.js", "", "1", "package/x.js"),
      ),
      MB,
    );
    expect([...c.ambiguous].toSorted()).toEqual(["h.js", "l.js", "x.js"]);
  });

  it("skips entries that climb out of the package", () => {
    const c = readTarball(archive(entry("package/../../etc/x.js", "x"), entry("package/ok.js", "ok")), MB);
    expect([...c.files.keys()]).toEqual(["ok.js"]);
  });

  it("fails on a corrupt header, a truncated entry, or more bytes than allowed", () => {
    const bad = header("package/x.js", 1, "0");
    bad.write("Z", 20); // a name byte changed after the checksum was computed
    expect(() => readTarball(gzipSync(Buffer.concat([bad, Buffer.alloc(1536)])), MB)).toThrow(/checksum/);
    const truncated = Buffer.concat([header("package/x.js", 4096, "0"), Buffer.alloc(512)]);
    expect(() => readTarball(gzipSync(truncated), MB)).toThrow(/ends inside/);
    const big = archive(entry("package/big.js", Buffer.alloc(4096)));
    expect(() => readTarball(big, 1024)).toThrow(/buffer|length/i);
  });
});

describe("integrity", () => {
  // Vectors from `openssl dgst -sha384 -binary | base64`.
  it("sha384Integrity gives the SRI value browsers compute", () => {
    expect(sha384Integrity(Buffer.alloc(0))).toBe(
      "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb",
    );
    expect(sha384Integrity(Buffer.from("alert('Hello, world.');"))).toBe(
      "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO",
    );
  });

  it("matchesSha512 accepts the registry's sha512 (among others) and nothing weaker", () => {
    const abc = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==";
    expect(matchesSha512(Buffer.from("abc"), abc)).toBe(true);
    expect(matchesSha512(Buffer.from("abc"), `sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0= ${abc}`)).toBe(true);
    expect(matchesSha512(Buffer.from("abd"), abc)).toBe(false);
    expect(matchesSha512(Buffer.from("abc"), "sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")).toBe(false);
    expect(hasSha512(abc)).toBe(true);
    expect(hasSha512("sha1-qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")).toBe(false);
    expect(hasSha512(undefined)).toBe(false);
  });
});
