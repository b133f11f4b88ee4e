import { open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { linesBackward, linesForward } from "../../../src/audit/reader.js";
import { tempDir } from "./helpers.js";

const backward = async (path: string, chunk: number) => {
  const handle = await open(path, "r");
  try {
    const out: { text: string; start: number; terminated: boolean }[] = [];
    for await (const l of linesBackward(handle, (await handle.stat()).size, chunk))
      out.push({ text: l.bytes.toString(), start: l.start, terminated: l.terminated });
    return out;
  } finally {
    await handle.close();
  }
};

const forward = async (path: string, chunk: number) => {
  const out: { text: string; start: number; terminated: boolean }[] = [];
  for await (const l of linesForward(path, chunk))
    out.push({ text: l.bytes.toString(), start: l.start, terminated: l.terminated });
  return out;
};

const expected = (content: string) => {
  const out: { text: string; start: number; terminated: boolean }[] = [];
  let start = 0;
  for (const [i, text] of content.split("\n").entries()) {
    const last = i === content.split("\n").length - 1;
    if (last && text === "") break;
    out.push({ text, start: Buffer.byteLength(content.slice(0, start)), terminated: !last });
    start += text.length + 1;
  }
  return out;
};

const CASES = [
  "",
  "\n",
  "a\n",
  "abc",
  "a\nbb\nccc\n",
  "a\nbb\nccc",
  "\n\nx\n\n",
  `${"long line ".repeat(20)}\nshort\n${"é".repeat(30)}\ntorn`,
];

describe("line readers", () => {
  for (const content of CASES) {
    for (const chunk of [1, 2, 3, 7, 64, 65536]) {
      it(`read ${JSON.stringify(content.slice(0, 20))} in ${chunk}-byte chunks`, async () => {
        const path = join(await tempDir(), "f");
        await writeFile(path, content);
        expect(await forward(path, chunk)).toEqual(expected(content));
        expect(await backward(path, chunk)).toEqual(expected(content).toReversed());
      });
    }
  }
});
