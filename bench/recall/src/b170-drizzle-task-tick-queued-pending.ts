import { and, eq, lte } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { Pool } from "pg";
import pLimit from "p-limit";
const tasks = pgTable("workflow_tasks", {
  id: text("id").primaryKey(),
  status: text("status").notNull(),
  runAt: timestamp("run_at").notNull(),
  attempts: integer("attempts").notNull().default(0),
  heartbeat: timestamp("heartbeat"),
});
const db = drizzle(new Pool({ connectionString: process.env.DATABASE_URL }));
const limit = pLimit(4);
declare function execute(taskId: string): Promise<void>;
async function runTask(taskId: string) {
  await db.update(tasks).set({ status: "processing", heartbeat: new Date() }).where(eq(tasks.id, taskId));
  await execute(taskId);
  await db.update(tasks).set({ status: "done" }).where(eq(tasks.id, taskId));
}
// Each tick loads the due pending tasks and queues them on the in-process limiter; a task is moved to processing only
// when the limiter starts it. While it waits for a slot it is still pending, so the next tick (or another replica)
// loads and queues it again, and the task runs twice.
export async function tick() {
  const due = await db
    .select()
    .from(tasks)
    .where(and(eq(tasks.status, "pending"), lte(tasks.runAt, new Date())));
  for (const task of due) void limit(() => runTask(task.id));
}
setInterval(() => void tick(), 1000);
