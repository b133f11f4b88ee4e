// Forked by audit-faults.test.ts: takes the audit log's lock as an append does, says so, and hangs there until the
// parent SIGKILLs it: what a writer killed mid-append leaves behind (the lock directory and its holder record).
import { withFileLock } from "../../../src/util/file-lock.js";

const [file] = process.argv.slice(2);
if (!file || !process.send) throw new Error("usage: audit-lock-child <audit file> (forked with IPC)");
// A live timer: an idle child would exit on its own, and proper-lockfile removes its locks on a clean exit.
setInterval(() => undefined, 60_000);
void withFileLock(file, { what: "The audit log", timeoutMs: 10_000 }, async () => {
  process.send!("holding");
  await new Promise(() => undefined);
});
