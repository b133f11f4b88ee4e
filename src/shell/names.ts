import { words } from "./options.js";
/**
 * Names of programs as the gate compares them: the last path segment, lower-cased (macOS file systems ignore
 * case, so `PIP` runs pip there), without a Windows extension. `\pip`, `p''ip` and `"pip"` arrive here as `pip`.
 */
export const programName = (word: string): string =>
  (word.split("/").pop() ?? word).toLowerCase().replace(/\.(exe|cmd|bat|com|ps1)$/, "");

// Any installer named in text (code, a dynamic command, an unparsable command). A word boundary that is not a
// letter, digit or underscore on either side: `pip`, `/usr/bin/pip3.12`, `-m pip`, `get-pip.py`, `'npm'`, but
// not `pipeline`, `uvicorn` or `bundle`.
const INSTALLER_WORDS = [
  "pip(?:-?[0-9]+(?:\\.[0-9]+)*)?",
  "ensurepip",
  "pipx",
  "pipenv",
  "uvx?",
  "poetry",
  "pdm",
  "hatch",
  "conda",
  "mamba",
  "micromamba",
  "easy_install",
  "npm",
  "npx",
  "pnpm",
  "pnpx",
  "yarn(?:pkg)?",
  "bunx?",
  "corepack",
  "pixi",
  "rye",
];
const MENTION = new RegExp(`(?<![A-Za-z0-9_])(?:${INSTALLER_WORDS.join("|")})(?![A-Za-z0-9_])`, "i");

/** The first installer named in `text`, if any. */
export const mentionedInstaller = (text: string): string | null => MENTION.exec(text)?.[0] ?? null;

/** Programs that fetch content from the network. */
export const NETWORK_FETCHERS: ReadonlySet<string> = words(
  "curl wget wget2 fetch http https xh xhs aria2c axel lynx w3m links elinks nc ncat netcat socat " +
    "telnet ssh ftp tftp lftp gh hub openssl s3cmd aws gsutil",
);

/**
 * Programs whose output, piped into a shell or interpreter, is decoded or rewritten content: what runs cannot be
 * read from the command (named in the reason; any other producer except echo, printf and cat is refused too).
 */
export const TRANSFORMERS: ReadonlySet<string> = words(
  "base64 base32 basenc xxd gpg gzip gunzip zcat bzip2 bunzip2 bzcat xz unxz xzcat zstd unzstd zstdcat " +
    "uudecode rev tr iconv sed awk",
);
