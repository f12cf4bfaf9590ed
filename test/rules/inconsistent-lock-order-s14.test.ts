// inconsistent-lock-order, session-14 held-out shapes. A private helper taking advisory locks one key after the other
// is not reported when every caller builds the keys sorted by one comparison (one leading key of another prefix
// allowed); a caller sorting another way makes it a finding again. A lock-order cycle whose every side takes the shared
// row by claiming it (setting a column its WHERE requires NULL, leaving when no row changed) ends with one claimer
// anyway; where one side updates the row unconditionally, the cycle is reported.
import { inconsistentLockOrder } from "../../rules/inconsistent-lock-order";
import { runRuleTests } from "../helpers/rule-tester";

/** A NestJS service locking a tenant's custom domains; `secondOrder` is the comparison of the second caller. */
const domainLocks = (secondOrder: string) => `import { Injectable } from "@nestjs/common";
import { EntityManager } from "@mikro-orm/postgresql";

const normalise = (values: string[]) => [...new Set(values.map((v) => v.trim().toLowerCase()))];

@Injectable()
export class CustomDomainLocks {
  async lockTenantDomains(em: EntityManager, tenantId: string, domains: string[]) {
    const keys = [\`domains:tenant:\${tenantId}\`, ...normalise(domains).sort((a, b) => a.localeCompare(b)).map((d) => \`domains:name:\${d}\`)];
    await this.acquireEach(em, keys);
  }

  async lockDomains(em: EntityManager, domains: string[]) {
    const keys = normalise(domains).sort(${secondOrder}).map((d) => \`domains:name:\${d}\`);
    await this.acquireEach(em, keys);
  }

  private async acquireEach(em: EntityManager, keys: string[]) {
    for (const key of keys) {
      await em.getConnection().execute("select pg_advisory_xact_lock(hashtext(?::text))", [key]);
    }
  }
}`;

/** Express handlers attaching uploaded images to a comment (Drizzle); `secondClaim` is the edit's attach statement. */
const commentImages = (secondClaim: string) => `import { drizzle } from "drizzle-orm/node-postgres";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import { pgTable, text, integer } from "drizzle-orm/pg-core";

const comments = pgTable("comments", { id: text("id").primaryKey(), body: text("body"), replies: integer("replies") });
const images = pgTable("images", { id: text("id").primaryKey(), commentId: text("comment_id"), caption: text("caption") });
const db = drizzle(process.env.DATABASE_URL!);

export async function postComment(id: string, body: string, imageId: string, parentId?: string) {
  await db.transaction(async (tx) => {
    await tx.insert(comments).values({ id, body });
    const attached = await tx
      .update(images)
      .set({ commentId: id })
      .where(and(eq(images.id, imageId), isNull(images.commentId)))
      .returning();
    if (attached.length === 0) throw new Error("image already used");
    if (parentId) await tx.update(comments).set({ replies: sql\`\${comments.replies} + 1\` }).where(eq(comments.id, parentId));
  });
}

export async function editComment(id: string, body: string, imageId: string) {
  await db.transaction(async (tx) => {
    const edited = await tx.update(comments).set({ body }).where(eq(comments.id, id)).returning();
    if (edited.length === 0) throw new Error("not found");
${secondClaim}
  });
}`;

const CHECKED_CLAIM = `      const attached = await tx
        .update(images)
        .set({ commentId: id })
        .where(and(eq(images.id, imageId), or(isNull(images.commentId), eq(images.commentId, id))))
        .returning();
      if (attached.length === 0) throw new Error("image already used");`;

const CAPTION_OF_OWN_IMAGE = `      const captioned = await tx
        .update(images)
        .set({ caption: body.slice(0, 80) })
        .where(and(eq(images.id, imageId), eq(images.commentId, id)))
        .returning();
      if (captioned.length === 0) throw new Error("not this comment's image");`;

const UNCONDITIONAL_UPDATE = `      await tx.update(images).set({ commentId: id }).where(eq(images.id, imageId));`;

runRuleTests(inconsistentLockOrder, {
  valid: [
    {
      name: "every caller of the private helper sorts the domain keys alike, the tenant key (another prefix) first",
      code: domainLocks("(a, b) => a.localeCompare(b)"),
    },
    {
      name: "a cycle that meets only on an unattached image both transactions claim: one claimer either way",
      code: commentImages(CHECKED_CLAIM),
    },
    {
      name: "the edit's claim tested after a log line (on every path before the transaction ends): still a claim",
      code: commentImages(
        CHECKED_CLAIM.replace("      if (attached", '      console.info("attached", attached.length);\n      if (attached'),
      ),
    },
    {
      name: "the edit touches only images its comment already holds: it shares no row with a post claiming an unattached one",
      code: commentImages(CAPTION_OF_OWN_IMAGE),
    },
  ],
  invalid: [
    {
      name: "one caller sorts the domains the other way: two calls can take shared keys in opposite orders",
      code: domainLocks("(a, b) => b.localeCompare(a)"),
      errors: [{ line: 20, column: 13, messageId: "callerOrderLoop" }],
      output: domainLocks("(a, b) => b.localeCompare(a)").replace("for (const key of keys)", "for (const key of [...keys].sort())"),
    },
    {
      name: "the edit attaches the image unconditionally: it would go on after the post commits, so the deadlock is a loss",
      code: commentImages(UNCONDITIONAL_UPDATE),
      errors: [
        { line: 18, column: 25, messageId: "cycle" },
        { line: 26, column: 13, messageId: "cycle" },
      ],
    },
    {
      name: "the edit's claim is tested but only logged when it changed nothing: it goes on, so the deadlock is a loss",
      code: commentImages(CHECKED_CLAIM.replace('throw new Error("image already used")', 'console.warn("image already used")')),
      errors: [
        { line: 18, column: 25, messageId: "cycle" },
        { line: 26, column: 30, messageId: "cycle" },
      ],
    },
  ],
});
