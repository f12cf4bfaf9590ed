// Preloaded (`node -r`) into every process the benchmark times: on exit, writes the process's own CPU time and peak
// RSS to the file named by LOCKSMITH_BENCH_USAGE, so tools we do not control (tsc, ESLint) report them too.
"use strict";
const fs = require("node:fs");

const out = process.env.LOCKSMITH_BENCH_USAGE;
if (out) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssMiB: Math.round(usage.maxRSS / 1024) }));
  });
}
