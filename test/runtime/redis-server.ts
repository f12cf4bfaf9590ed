// A private redis-server for fault tests: started on a free port (never the shared server), stopped and restarted at
// will, and always killed by `dispose()` or, failing that, when the test process exits.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import Redis from "ioredis";

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #args: string[];
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string, persistence: boolean) {
    this.port = port;
    this.dir = dir;
    // Persistence = the append-only file, synced before each reply ("everysec" may postpone writes while a sync is
    // slow), so every acknowledged write survives a SIGKILL.
    const aof = persistence ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
    this.#args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...aof];
  }

  /** Start a server on a free port: `persistence` turns on the append-only file. */
  static async start(persistence: boolean): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), fs.mkdtempSync(path.join(os.tmpdir(), "rt-redis-")), persistence);
    try {
      await server.up();
    } catch (error) {
      await server.dispose();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Start (again) on the same port and directory; resolves once it accepts connections. */
  async up(): Promise<void> {
    const child = spawn("redis-server", this.#args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    running.add(child);
    child.on("exit", () => running.delete(child));
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const onData = (d: Buffer) => {
        out += d.toString();
        if (/Ready to accept connections/.test(out)) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("error", (error) =>
        reject(new Error(`Could not start redis-server (${error.message}): the Redis fault tests run a server of their own, so it must be on PATH`)),
      );
      child.once("exit", (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${out.slice(-500)}`)));
    });
  }

  /** Kill the server (SIGKILL: a crash, nothing flushed on the way out) and wait until it is gone. */
  async down(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  async restart(): Promise<void> {
    await this.down();
    await this.up();
  }

  async dispose(): Promise<void> {
    await this.down();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** An ioredis client that reconnects every 20 ms and queues commands while disconnected (ioredis' defaults). */
  client(options: { enableOfflineQueue?: boolean } = {}): Redis {
    const client = new Redis({ host: "127.0.0.1", port: this.port, retryStrategy: () => 20, maxRetriesPerRequest: null, ...options });
    client.on("error", () => undefined); // connection refused while the server is down
    return client;
  }
}
