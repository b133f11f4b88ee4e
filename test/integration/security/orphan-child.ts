// Run by orphans.test.ts, then SIGKILLed while its child runs: a gateway or CLI killed by the OOM killer.
import { runProcess } from "../../../src/util/exec.js";

const [pidFile] = process.argv.slice(2) as [string];
await runProcess("/bin/sh", ["-c", 'echo $$ > "$1"; exec sleep 120', "sh", pidFile], { timeoutMs: 300_000 });
