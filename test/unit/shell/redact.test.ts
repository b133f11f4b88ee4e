import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../../src/util/redact.js";

describe("redactSecrets", () => {
  it.each([
    ["pip install https://alice:tok3n@pkgs.example.com/x.whl", "pip install https://***@pkgs.example.com/x.whl"],
    ["git clone https://ghp_abcdef123456@github.com/o/r", "git clone https://***@github.com/o/r"],
    ["curl -H 'Authorization: Bearer abcdef123456' x", "curl -H 'Authorization: Bearer ***' x"],
    ["curl -H 'X-Api: Bearer abcdef123456' x", "curl -H 'X-Api: Bearer ***' x"],
    ["TOKEN=abc123 npm publish", "TOKEN=*** npm publish"],
    ["npm config set //r/:_authToken=xyz987", "npm config set //r/:_authToken=***"],
    ["login --password hunter22 --user bob", "login --password *** --user bob"],
    ["API_KEY='s e c r e t' run", "API_KEY=*** run"],
  ])("%s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });

  it("leaves ordinary commands alone", () => {
    expect(redactSecrets("pip install requests==2.32.3 && ls -la")).toBe("pip install requests==2.32.3 && ls -la");
  });
});
