// FALSE shape (inconsistent-lock-order), session 18 held-out check, dyrectorio
// web/crux/src/app/deploy/deploy.service.ts:1228 (and :789).
// Rule that would make it silent: the rows a helper updates one by one are the children of one parent, listed in
// the order of the one query that loads that parent (`orderBy`): a call whose keys overlap is a call for the same
// parent, which lists them in the same order, so no two calls take them in opposite orders.
import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

interface Fix {
  stepId: string;
  settings: Record<string, string>;
}

async function saveFixes(fixes: Fix[]): Promise<void> {
  await prisma.$transaction(fixes.map((fix) => prisma.step.update({ where: { id: fix.stepId }, data: { settings: fix.settings } })));
}

export async function startRelease(releaseId: string): Promise<void> {
  const release = await prisma.release.findUniqueOrThrow({
    where: { id: releaseId },
    include: { steps: { orderBy: { position: "asc" } } },
  });
  const fixes: Fix[] = [];
  for (const step of release.steps) {
    const settings = step.settings as Record<string, string>;
    if (Object.values(settings).some((value) => value === "")) fixes.push({ stepId: step.id, settings: {} });
  }
  if (fixes.length > 0) await saveFixes(fixes);
}
