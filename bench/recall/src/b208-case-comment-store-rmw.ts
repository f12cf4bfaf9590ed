import { promises as fs } from "node:fs";
import * as path from "node:path";
interface CaseComment {
  id: string;
  findingId: string;
  author: string;
  text: string;
  at: string;
}
const casesRoot = process.env.CASES_ROOT ?? "./cases";
const commentsPath = (caseId: string) => path.join(casesRoot, caseId, "comments.json");
async function readComments(caseId: string): Promise<CaseComment[]> {
  try {
    return JSON.parse(await fs.readFile(commentsPath(caseId), "utf8")) as CaseComment[];
  } catch {
    return [];
  }
}
// Collaboration stores (comments here; tags, pins and notebooks alike) load the case's whole JSON collection, change it
// and save it. Two analysts commenting on one case at once both load the same list; the later save discards the other
// comment without an error.
export async function addComment(caseId: string, comment: CaseComment) {
  const comments = await readComments(caseId);
  comments.push(comment);
  await fs.writeFile(commentsPath(caseId), JSON.stringify(comments, null, 2));
  return comment;
}
const caseQueues = new Map<string, Promise<unknown>>();
// Correct (one server process, as the tool runs): mutations of one case are chained on a per-case promise queue, so
// each load sees the previous save.
export function addCommentQueued(caseId: string, comment: CaseComment) {
  const previous = caseQueues.get(caseId) ?? Promise.resolve();
  const next = previous
    .catch(() => undefined)
    .then(async () => {
      const comments = await readComments(caseId);
      comments.push(comment);
      await fs.writeFile(commentsPath(caseId), JSON.stringify(comments, null, 2));
      return comment;
    });
  caseQueues.set(caseId, next);
  return next;
}
