import { PrismaClient, type Prisma } from "@prisma/client";
const prisma = new PrismaClient();
type TaskDraft = { uuid: string; title: string; description?: string; acceptance?: string[] };
// A proposal keeps its task drafts in one JSON array column. Editing one draft reads the proposal, replaces that draft
// in memory and writes the whole array back. Two agents editing two different drafts of the same proposal both read
// the old array; the later write puts back the other draft's old text, and both calls reported success.
export async function editTaskDraft(proposalId: string, draftUuid: string, changes: Partial<TaskDraft>) {
  const proposal = await prisma.workProposal.findFirst({ where: { id: proposalId, status: "draft" } });
  if (!proposal) throw new Error("proposal not found or not a draft");
  const drafts = (proposal.taskDrafts as TaskDraft[] | null) ?? [];
  const index = drafts.findIndex((draft) => draft.uuid === draftUuid);
  if (index < 0) throw new Error("task draft not found");
  drafts[index] = { ...drafts[index], ...changes };
  return prisma.workProposal.update({
    where: { id: proposalId },
    data: { taskDrafts: drafts as unknown as Prisma.InputJsonValue },
  });
}
// Correct: each draft is a row of its own, so an edit changes only the draft it names.
export async function editTaskDraftRow(proposalId: string, draftUuid: string, changes: Partial<TaskDraft>) {
  const { count } = await prisma.workProposalTaskDraft.updateMany({
    where: { proposalId, uuid: draftUuid, proposal: { status: "draft" } },
    data: { title: changes.title, description: changes.description },
  });
  if (count === 0) throw new Error("task draft not found");
}
