import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function broadcastPost(text: string, authorId: string): Promise<string>;
// Every minute the due posts still pending are loaded and broadcast, and each is marked only after its broadcast: a
// tick that runs longer than a minute overlaps the next one, both load the same pending row, and the post goes out
// twice.
export async function publishDuePosts() {
  const due = await prisma.scheduledPost.findMany({ where: { status: "pending", publishAt: { lte: new Date() } } });
  for (const post of due) {
    try {
      const receipt = await broadcastPost(post.text, post.authorId);
      await prisma.scheduledPost.update({ where: { id: post.id }, data: { status: "posted", receipt } });
    } catch (err) {
      await prisma.scheduledPost.update({ where: { id: post.id }, data: { status: "failed", error: String(err) } });
    }
  }
}
// Correct: each post is claimed by a conditional update that moves it out of pending before the broadcast, and a claim
// that changed no row was won by the other tick.
export async function publishDuePostsClaimed() {
  const due = await prisma.scheduledPost.findMany({ where: { status: "pending", publishAt: { lte: new Date() } } });
  for (const post of due) {
    const claim = await prisma.scheduledPost.updateMany({
      where: { id: post.id, status: "pending" },
      data: { status: "processing" },
    });
    if (claim.count === 0) continue;
    try {
      const receipt = await broadcastPost(post.text, post.authorId);
      await prisma.scheduledPost.update({ where: { id: post.id }, data: { status: "posted", receipt } });
    } catch (err) {
      await prisma.scheduledPost.update({ where: { id: post.id }, data: { status: "failed", error: String(err) } });
    }
  }
}
setInterval(() => void publishDuePosts(), 60_000);
