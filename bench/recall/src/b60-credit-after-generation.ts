import { HttpError, prisma } from "wasp/server";
import type { PrismaPromise } from "@prisma/client";
type Member = { id: string; credits: number; plan: "free" | "pro" };
type Ctx = {
  user?: Member;
  entities: {
    Outline: { create(args: unknown): PrismaPromise<unknown> };
    User: { update(args: unknown): PrismaPromise<unknown> };
  };
};
declare function draftOutlineWithModel(topic: string): Promise<string | null>;
export async function generateOutline(args: { topic: string }, context: Ctx) {
  if (!context.user) throw new HttpError(401);
  const outline = await draftOutlineWithModel(args.topic);
  if (outline === null) throw new HttpError(500, "model call failed");
  const writes: PrismaPromise<unknown>[] = [
    context.entities.Outline.create({ data: { user: { connect: { id: context.user.id } }, body: outline } }),
  ];
  if (context.user.plan !== "pro") {
    if (context.user.credits > 0) {
      writes.push(context.entities.User.update({ where: { id: context.user.id }, data: { credits: { decrement: 1 } } }));
    } else {
      throw new HttpError(402, "out of credits");
    }
  }
  await prisma.$transaction(writes);
  return outline;
}
