// write-skew, the session-13 held-out set (omnivore): a second save() of the row the request just created is an
// update, not another insert past the limit; next to a second save that does insert.
import { writeSkew } from "../../rules/write-skew";
import { runRuleTests } from "../helpers/rule-tester";

/** The report service: a TypeORM save of a partial report with its owner, and a count of the owner's recent reports. */
const reports = `import { MoreThan } from "typeorm";
import { dataSource } from "./data-source";
import { Report } from "./report.entity";

export const saveReport = async (ownerId: string, fields: Partial<Report>): Promise<Report> => {
  return dataSource.getRepository(Report).save({ ...fields, ownerId });
};

export const countRecentReports = async (ownerId: string): Promise<number> => {
  return dataSource.getRepository(Report).countBy({ ownerId, createdAt: MoreThan(new Date(Date.now() - 3_600_000)) });
};
`;

/** An Express route that queues a report when the owner made fewer than three this hour; `second` is its second save. */
const reportRoute = (second: string) => `import { Router } from "express";
import { countRecentReports, saveReport } from "./reports";
import { reportQueue } from "./queue";

export const reportRouter = Router();

reportRouter.post("/reports", async (req, res) => {
  const ownerId = req.user.id;
  const recent = await countRecentReports(ownerId);
  if (recent >= 3) return res.status(429).send({ error: "REPORT_LIMIT" });
  const report = await saveReport(ownerId, { state: "pending" });
  const job = await reportQueue.add("render", { reportId: report.id });
  await saveReport(ownerId, ${second});
  res.send({ jobId: job.id });
});
`;

const FIRST_INSERT = { line: 11, column: 24, messageId: "grows" };

runRuleTests(writeSkew, {
  valid: [],
  invalid: [
    {
      name: "the second save passes the id of the report just created: an update of that row; only the first save inserts",
      code: reportRoute('{ id: report.id, jobId: job.id, state: "queued" }'),
      files: { "src/reports.ts": reports },
      filename: "src/report-router.ts",
      errors: [FIRST_INSERT],
    },
    {
      name: "a second save without the id inserts a second report, past the limit too",
      code: reportRoute('{ jobId: job.id, state: "queued" }'),
      files: { "src/reports.ts": reports },
      filename: "src/report-router.ts",
      errors: [FIRST_INSERT, { line: 13, column: 9, messageId: "grows" }],
    },
  ],
});
