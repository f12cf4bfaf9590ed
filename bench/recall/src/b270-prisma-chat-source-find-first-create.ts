import { Prisma, PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
declare function indexDocumentation(url: string, vectorless: boolean): Promise<void>;
// Starting a chat over a documentation site reuses the site's source when it was already indexed: the handler looks
// the source up by URL and mode, creates it when missing, and starts indexing. Nothing in the schema makes (url, mode)
// unique, so two users starting a chat on the same new site create two sources and index it twice.
export async function startDocChat(userId: string, documentationUrl: string, vectorless: boolean) {
  let source = await prisma.docSource.findFirst({ where: { documentationUrl, vectorless } });
  if (!source) {
    source = await prisma.docSource.create({ data: { documentationUrl, vectorless, status: "indexing" } });
    await indexDocumentation(documentationUrl, vectorless);
  }
  return prisma.docChat.create({ data: { userId, sourceId: source.id } });
}
// Correct: a unique key on (documentationUrl, vectorless); the create that loses the race reads the winner's source.
export async function startDocChatIndexed(userId: string, documentationUrl: string, vectorless: boolean) {
  let source = await prisma.indexedDocSource.findUnique({
    where: { documentationUrl_vectorless: { documentationUrl, vectorless } },
  });
  if (!source) {
    try {
      source = await prisma.indexedDocSource.create({ data: { documentationUrl, vectorless, status: "indexing" } });
      await indexDocumentation(documentationUrl, vectorless);
    } catch (error) {
      if (!(error instanceof Prisma.PrismaClientKnownRequestError) || error.code !== "P2002") throw error;
      source = await prisma.indexedDocSource.findUniqueOrThrow({
        where: { documentationUrl_vectorless: { documentationUrl, vectorless } },
      });
    }
  }
  return prisma.docChat.create({ data: { userId, sourceId: source.id } });
}
