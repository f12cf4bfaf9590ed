// A small service whose dependencies have heavy typings, for the editor benchmark's first diagnostics: the generated
// service of about 1,500 lines (31 files, the size of the project in issue 19's Neovim report) whose edited workflow
// file also imports a record schema written with `effect` (a pinned dev dependency; its 8 MB of declaration files
// stand in for an ORM's typings). Opening the workflow file makes a type checker load and check all of them: what
// tsserver does before its first semantic diagnostics, and what Locksmith's focused Program does too.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { generateCorpus, EDITED_FILE } = require("./generate-corpus");

const RECORDS = `// Workflow records as effect Schemas: the typings every workflow step is checked against.
import { Effect, Schema } from "effect";

export const StepRecord = Schema.Struct({
  id: Schema.String,
  step: Schema.Number,
  status: Schema.Literal("done", "skipped", "missing"),
  startedAt: Schema.DateFromString,
  totals: Schema.Record({ key: Schema.String, value: Schema.Number }),
  warnings: Schema.Array(Schema.String),
});
export type StepRecord = typeof StepRecord.Type;

export const decodeStep = (raw: unknown): Effect.Effect<StepRecord, Error> =>
  Schema.decodeUnknown(StepRecord)(raw).pipe(Effect.mapError((error) => new Error(String(error))));

export const stepNumber = (raw: unknown): Effect.Effect<number, Error> => decodeStep(raw).pipe(Effect.map((record) => record.step));
`;

/** Writes the corpus into `dir` (deterministic). */
function generateTypedCorpus(dir) {
  generateCorpus(dir, 1500);
  fs.writeFileSync(path.join(dir, "src/infra/records.ts"), RECORDS);
  const edited = path.join(dir, EDITED_FILE);
  const text = fs.readFileSync(edited, "utf8");
  const anchor = 'import { randomUUID } from "node:crypto";\n';
  if (!text.includes(anchor)) throw new Error(`${EDITED_FILE} has no \`${anchor.trim()}\` line to add the records import after`);
  const uses = `\n/** A step record as the workflow stores it, checked against its schema. */\nexport const checkedStep = (raw: unknown) => stepNumber(raw);\nexport type CheckedRecord = StepRecord;\n`;
  fs.writeFileSync(edited, text.replace(anchor, `${anchor}import { stepNumber, type StepRecord } from "../infra/records.js";\n`) + uses);
}

module.exports = { generateTypedCorpus };
