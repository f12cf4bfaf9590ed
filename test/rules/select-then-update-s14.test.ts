// select-then-update, session-14 held-out shapes. An undo that re-links the restored record to its parent entity
// (`ticket.board = board`) writes the parent's key, not a value read from it; a field set from the parent's values is
// still a lost update. A claim before the read (an atomic conditional update, leaving when no row changed) covers a
// read through a project helper keyed by the where object passed to it (`loadDecrypted(em, Task, { id })`), as it
// covers a direct `em.findOne`; without the exit on no change it claims nothing.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS undo handler restoring a ticket from its logged snapshot; `restore` is what the else branch assigns. */
const restoreTicket = (restore: string) => `import { Injectable } from "@nestjs/common";
import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, ManyToOne, PrimaryKey, Property } from "@mikro-orm/core";

@Entity()
export class Board {
  @PrimaryKey() id!: string;
  @Property() title!: string;
}

@Entity()
export class Ticket {
  @PrimaryKey() id!: string;
  @ManyToOne(() => Board) board!: Board;
  @Property() summary!: string;
  @Property() priority!: number;
}

type TicketSnapshot = { id: string; boardId: string; summary: string; priority: number };

@Injectable()
export class TicketUndoHandler {
  constructor(private readonly em: EntityManager) {}

  async undoUpdate(snapshot: TicketSnapshot) {
    const em = this.em.fork();
    const board = await em.findOneOrFail(Board, { id: snapshot.boardId });
    let ticket = await em.findOne(Ticket, { id: snapshot.id });
    if (!ticket) {
      ticket = em.create(Ticket, { id: snapshot.id, board, summary: snapshot.summary, priority: snapshot.priority });
      em.persist(ticket);
    } else {
${restore}
    }
    await em.flush();
  }
}`;

/** A job runner that claims a task atomically, then loads it through a decrypting helper and completes it. */
const runTask = (claimCheck: string) => `import { EntityManager } from "@mikro-orm/postgresql";
import { Entity, PrimaryKey, Property } from "@mikro-orm/core";

@Entity()
export class ImportTask {
  @PrimaryKey() id!: string;
  @Property() state!: string;
  @Property({ nullable: true }) resultRef?: string | null;
  @Property({ nullable: true }) finishedAt?: Date | null;
}

declare function decryptFields(row: object): Promise<void>;
declare function executeImport(task: ImportTask): Promise<{ resultRef?: string }>;

async function loadDecrypted<T extends object>(em: EntityManager, entity: new () => T, where: object): Promise<T | null> {
  const found = (await em.findOne(entity as any, where as any)) as T | null;
  if (found) await decryptFields(found);
  return found;
}

export async function processImportTask(em: EntityManager, id: string) {
  const updated = await em.nativeUpdate(ImportTask, { id, state: { $in: ["queued", "retry"] } }, { state: "running" });
  ${claimCheck}
  const task = await loadDecrypted(em, ImportTask, { id });
  if (!task) return { status: 404 };
  const outcome = await executeImport(task);
  task.state = "finished";
  task.finishedAt = new Date();
  if (outcome.resultRef !== undefined) task.resultRef = outcome.resultRef;
  else task.resultRef = task.resultRef ?? null;
  await em.flush();
  return { status: 200 };
}`;

/** A Next.js server action filling an attachment's preview where empty; `source` is the call that gives it. */
const attachmentPreview = (source: string) => `import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
type Store = { bucket: string; region: string };
declare function fetchPreviewFromStorage(store: Store, key: string): Promise<{ thumbnail: string | null }>;
declare function renderPreview(store: Store, key: string): Promise<{ thumbnail: string | null }>;

export async function getAttachment(id: string, workspaceId: string) {
  const attachment = await prisma.attachment.findFirst({ where: { id, workspaceId } });
  if (!attachment) throw new Error("Not found");
  if (!attachment.thumbnail && attachment.storageKey) {
    const store = await prisma.storageAccount.findUnique({ where: { id: attachment.storeId }, select: { bucket: true, region: true } });
    if (store) {
      const preview = await ${source}({ bucket: store.bucket, region: store.region }, attachment.storageKey);
      if (preview.thumbnail) {
        await prisma.attachment.update({ where: { id }, data: { thumbnail: preview.thumbnail } });
      }
    }
  }
  return attachment;
}`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "an undo re-links the restored ticket to its board read by id: the board's key is written, nothing read from it",
      code: restoreTicket(
        "      ticket.board = board;\n      ticket.summary = snapshot.summary;\n      ticket.priority = snapshot.priority;",
      ),
    },
    {
      // A value of another table copied in (the board's title) writes nothing of the ticket's own read: a concurrent
      // change of the ticket is not undone, whatever the board holds.
      name: "the restored ticket takes the board's title: a value read from another table, not from the ticket",
      code: restoreTicket("      ticket.board = board;\n      ticket.summary = board.title;\n      ticket.priority = snapshot.priority;"),
    },
    {
      name: "a claim by conditional update, left when no row changed, before a read through a decrypting helper",
      code: runTask("if (updated === 0) return { status: 409 };"),
    },
    {
      name: "an empty preview filled from storage by the row's own key: every concurrent reader writes the same preview",
      code: attachmentPreview("fetchPreviewFromStorage"),
    },
  ],
  invalid: [
    {
      name: "the conditional update's count is not checked: every caller goes on to the read through the helper",
      code: runTask("void updated;"),
      errors: [{ line: 31, column: 9, messageId: "lostUpdate", data: { write: "`em.flush(…)`", column: "`resultRef`", line: 24 } }],
    },
    {
      name: "the preview is rendered anew (not read from a source): two concurrent fills render twice and the last wins",
      code: attachmentPreview("renderPreview"),
      errors: [{ line: 15, column: 15, messageId: "checkThenWrite" }],
    },
  ],
});
