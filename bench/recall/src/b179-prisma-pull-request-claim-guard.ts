import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export class ConflictError extends Error {}
// A reviewer claims a pull request after its phase and current claimant are tested on a `findUnique` snapshot; the
// update only names the id, so two reviewers claiming together both pass the tests and the second overwrites the
// first's claim without either being told.
export async function claimPullRequest(id: string, reviewerId: string, headSha: string) {
  const pr = await prisma.pullRequest.findUnique({ where: { id } });
  if (!pr) throw new Error("Pull request not found");
  if (pr.phase !== "awaiting_review") throw new ConflictError(`Pull request is ${pr.phase}`);
  if (pr.claimedBy && pr.claimedBy !== reviewerId) throw new ConflictError(`Already claimed by ${pr.claimedBy}`);
  return prisma.pullRequest.update({
    where: { id },
    data: { phase: "in_review", claimedBy: reviewerId, claimedAt: new Date(), reviewedSha: headSha },
  });
}
// Correct: the phase and the free claim are part of the update's filter and its count is read, so only one reviewer
// moves the row; the other gets a conflict.
export async function claimPullRequestGuarded(id: string, reviewerId: string, headSha: string) {
  const { count } = await prisma.pullRequest.updateMany({
    where: { id, phase: "awaiting_review", claimedBy: null },
    data: { phase: "in_review", claimedBy: reviewerId, claimedAt: new Date(), reviewedSha: headSha },
  });
  if (count === 0) {
    const current = await prisma.pullRequest.findUnique({ where: { id } });
    if (!current) throw new Error("Pull request not found");
    throw new ConflictError(`Pull request is ${current.phase}, claimed by ${current.claimedBy ?? "nobody"}`);
  }
  return prisma.pullRequest.findUnique({ where: { id } });
}
