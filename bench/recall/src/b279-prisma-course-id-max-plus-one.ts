import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
// A new course takes the highest id plus one, read and inserted inside an interactive transaction. The transaction does
// not stop two creations from reading the same maximum: five concurrent requests compute the same id, and all but one
// fail ("Transaction failed due to a write conflict or a deadlock").
export async function createCourse(title: string, slug: string, authorId: number) {
  return prisma.$transaction(async (tx) => {
    const top = await tx.course.aggregate({ _max: { id: true } });
    const id = (top._max.id ?? 0) + 1;
    return tx.course.create({ data: { id, title, slug, authorId } });
  });
}
// Correct: the database assigns the id (an autoincrement column), so no two creations compute one.
export async function createCourseGeneratedId(title: string, slug: string, authorId: number) {
  return prisma.course.create({ data: { title, slug, authorId } });
}
