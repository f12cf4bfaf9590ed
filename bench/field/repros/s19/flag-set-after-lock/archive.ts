import Redis from "ioredis";

const redis = new Redis();

async function takeLock(name: string, seconds: number): Promise<boolean> {
  return (await redis.set(name, "1", "EX", seconds, "NX")) === "OK";
}

async function dropLock(name: string): Promise<void> {
  await redis.del(name);
}

declare function archiveTable(table: string, from?: string): Promise<void>;

// `held` is set right after each acquisition, and the release runs under `if (held)` after the switch.
export async function archive(table: string, kind: string, from: string): Promise<void> {
  let held = false;
  switch (table) {
    case "events":
      if (await takeLock(`archive:${table}`, 3600)) {
        held = true;
        try {
          await archiveTable(table);
        } catch (error) {
          console.error(error);
        }
      }
      break;
    case "orders":
      if (kind === "bids" && (await takeLock(`archive:${table}:${from}`, 3600))) {
        held = true;
        try {
          await archiveTable(table, from);
        } catch (error) {
          console.error(error);
        }
      }
      break;
  }
  if (held) {
    switch (table) {
      case "events":
        await dropLock(`archive:${table}`);
        break;
      case "orders":
        if (kind === "bids") await dropLock(`archive:${table}:${from}`);
        break;
    }
  }
}
