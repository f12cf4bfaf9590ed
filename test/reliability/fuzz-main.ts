// `npm run fuzz [-- --count <mutants per corpus text> --seed <n>]`: the long fuzz run. Lints every mutant and
// extreme input with every rule on, prints counts, writes each failing input to a folder for reproduction and exits
// 1 when anything failed. The bounded slice of the same fuzzer runs in `npm test` (fuzz.test.ts).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { corpus } from "./corpus";
import { describeFailure, extremeInputs, fuzzOne, FuzzEngine, mutants, type FuzzFailure } from "./fuzz";

function main(): number {
  const { values } = parseArgs({
    options: { count: { type: "string", default: "50" }, seed: { type: "string", default: String(Date.now() % 100000) } },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  const entries = corpus();
  const inputs = [
    ...extremeInputs(entries[0]?.text ?? ""),
    ...mutants(entries, count, seed).map((input) => ({ ...input, analysed: false })),
  ];
  console.log(`locksmith fuzz: ${entries.length} corpus texts, ${count} mutants each, seed ${seed}: ${inputs.length} inputs`);
  const engine = new FuzzEngine();
  const failures: FuzzFailure[] = [];
  const started = Date.now();
  inputs.forEach((input, index) => {
    failures.push(...fuzzOne(engine, input, input.analysed));
    if ((index + 1) % 500 === 0)
      console.log(`  ${index + 1}/${inputs.length} (${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s)`);
  });
  console.log(
    `locksmith fuzz: ${inputs.length} inputs tried in ${Math.round((Date.now() - started) / 1000)} s, ${failures.length} failures`,
  );
  if (failures.length === 0) return 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "locksmith-fuzz-failures-"));
  failures.forEach((failure, i) => {
    console.log(`\n#${i + 1} ${describeFailure(failure)}`);
    fs.writeFileSync(path.join(dir, `${i + 1}.ts`), failure.input.text);
  });
  console.log(`\nFailing inputs written to ${dir} (seed ${seed})`);
  return 1;
}

process.on("unhandledRejection", (reason) => {
  console.error(`unhandled rejection: ${(reason as Error)?.stack ?? String(reason)}`);
  process.exitCode = 1;
});
process.exitCode = main();
