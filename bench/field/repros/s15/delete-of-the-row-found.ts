// FALSE shape (write-skew), session 15 held-out check, skateshop src/lib/actions/product.ts:181.
// Rule that would make it silent: a "check" that is only the existence of the very row the code then deletes by its
// id enforces no minimum of a set, so two concurrent deletes cannot skew anything (the second deletes nothing).
import { and, eq } from "drizzle-orm";
import { db } from "./db";
import { lessons } from "./schema";

export async function removeLesson(input: { id: string; courseId: string }) {
  const lesson = await db.query.lessons.findFirst({
    columns: { id: true },
    where: and(eq(lessons.id, input.id), eq(lessons.courseId, input.courseId)),
  });
  if (!lesson) {
    throw new Error("Lesson not found.");
  }
  await db.delete(lessons).where(eq(lessons.id, input.id));
  return { ok: true };
}
