// Connection settings for the real servers the distributed tests use, from the usual environment variables with
// this machine's defaults. A missing service fails the test with a message naming it (tests never start servers).
import { randomBytes } from "node:crypto";
import { Pool } from "pg";
import Redis from "ioredis";
import * as mysql from "mysql2/promise";

export const suffix = () => randomBytes(4).toString("hex");

export function pgConfig(extra: Record<string, unknown> = {}) {
  return {
    host: process.env["PGHOST"] ?? "127.0.0.1",
    port: Number(process.env["PGPORT"] ?? 5432),
    user: process.env["PGUSER"] ?? "postgres",
    password: process.env["PGPASSWORD"],
    database: process.env["PGDATABASE"] ?? "test",
    ...extra,
  };
}

export const redisUrl = () => process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

export function mysqlConfig() {
  return {
    host: process.env["MYSQL_HOST"] ?? "127.0.0.1",
    port: Number(process.env["MYSQL_PORT"] ?? process.env["MYSQL_TCP_PORT"] ?? 3306),
    user: process.env["MYSQL_USER"] ?? "root",
    password: process.env["MYSQL_PASSWORD"] ?? process.env["MYSQL_PWD"] ?? "",
    database: process.env["MYSQL_DATABASE"] ?? "test",
  };
}

async function reachable<T>(service: string, where: string, variables: string, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (error) {
    throw new Error(`${service} is not reachable at ${where} (${(error as Error).message}). Start it, or point ${variables} at one.`);
  }
}

export function connectPg(extra: Record<string, unknown> = {}): Promise<Pool> {
  const config = pgConfig(extra);
  return reachable("PostgreSQL", `${config.host}:${config.port}/${config.database}`, "PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE", async () => {
    const pool = new Pool({ ...config, max: 20 });
    pool.on("error", () => undefined); // idle clients killed by fault tests must not crash the runner
    try {
      await pool.query("SELECT 1");
    } catch (error) {
      await pool.end();
      throw error;
    }
    return pool;
  });
}

export function connectRedis(): Promise<Redis> {
  return reachable("Redis", redisUrl(), "REDIS_URL", async () => {
    const client = new Redis(redisUrl(), { lazyConnect: true, maxRetriesPerRequest: null, enableOfflineQueue: true });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return client;
  });
}

export function connectMySql(): Promise<mysql.Pool> {
  const config = mysqlConfig();
  return reachable("MySQL/MariaDB", `${config.host}:${config.port}/${config.database}`, "MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD/MYSQL_DATABASE", async () => {
    const pool = mysql.createPool({ ...config, connectionLimit: 20 });
    pool.on("connection", (c) => c.on("error", () => undefined));
    try {
      await pool.query("SELECT 1");
    } catch (error) {
      await pool.end();
      throw error;
    }
    return pool;
  });
}

/** Poll until `condition` holds (no fixed sleeps as synchronisation). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, everyMs = 5): Promise<void> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once `n` callers arrived: forces transactions to interleave on their first attempt. */
export function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return () => {
    if (++arrived === n) open();
    return opened;
  };
}
