import { promises as fs } from "node:fs";
import * as path from "node:path";
interface Task {
  id: string;
  title: string;
  column: string;
  worktree?: string;
}
const dataDir = process.env.APP_DATA_DIR ?? ".";
const tasksFile = path.join(dataDir, "tasks.json");
async function loadTasks(): Promise<Task[]> {
  return JSON.parse(await fs.readFile(tasksFile, "utf8")) as Task[];
}
// Every task mutation reads the whole tasks file, changes the array and writes it back. Two windows of the app (or the
// agent CLI next to the UI) adding tasks at once both read the same array, and the second write drops the first one's
// task together with its worktree reference.
export async function addTask(task: Task) {
  const tasks = await loadTasks();
  tasks.push(task);
  await fs.writeFile(tasksFile, JSON.stringify(tasks, null, 2));
}
// Correct: the read-modify-write runs under a lock directory created with mkdir (atomic across processes), removed in
// `finally`.
export async function addTaskLocked(task: Task) {
  const lockDir = `${tasksFile}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(lockDir);
      break;
    } catch {
      if (attempt > 50) throw new Error("tasks file is locked");
      await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** Math.min(attempt, 5)));
    }
  }
  try {
    const tasks = await loadTasks();
    tasks.push(task);
    await fs.writeFile(tasksFile, JSON.stringify(tasks, null, 2));
  } finally {
    await fs.rmdir(lockDir);
  }
}
