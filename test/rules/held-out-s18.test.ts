// Session 18's held-out check: two false alarms of dyrectorio, written afresh in the same shapes.
// - select-then-update: a row read and handed to a write helper inside an options object (`open({ connection,
//   device })`), where the helper takes the row only as the key of its update and writes values of the connection
//   (`const { connection, device } = options; … data: { lastIp: connection.address }`). What the helper writes is the
//   caller's `connection`, not the literal as a whole, so nothing read is written back. A helper that writes a column
//   of the row it is handed (`device.visits + 1`) stays reported.
// - lock-release-not-guaranteed: a Map entry set in one branch of a status handler and deleted in another branch (the
//   "gone" event) is a registry of live peers: no delete can run after the set in the same call, so no path skips a
//   release. A key set and deleted after the work in the same branch stays reported.
// - lock-release-not-guaranteed: `SET key value NX GET` answers with the holder's value, null when this call took the
//   key: the lock is held only on the null side of `if (!holder)`, so a failure on the side that routes the change to
//   the holder (or a `continue` after it) skips no release. A failure on the taken side before the DEL stays reported.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const handshake = (data: string) => `import { PrismaClient, type Device } from "@prisma/client";

const prisma = new PrismaClient();

interface Connection {
  address: string;
  openedAt: Date;
}

interface OpenOptions {
  connection: Connection;
  device: Device;
}

async function open(options: OpenOptions): Promise<void> {
  const { connection, device } = options;
  await prisma.device.update({ where: { id: device.id }, data: { ${data} } });
}

export async function handshake(connection: Connection, deviceId: string): Promise<void> {
  const device = await prisma.device.findUniqueOrThrow({ where: { id: deviceId } });
  await open({ connection, device });
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the row read is only the key of the helper's update; the values written come from the connection",
      code: handshake("lastIp: connection.address, lastSeen: connection.openedAt"),
    },
    {
      name: "the same through the options object's path (options.connection.address)",
      code: handshake("lastIp: options.connection.address"),
    },
  ],
  invalid: [
    {
      name: "the helper writes a column of the row it is handed, computed from the read",
      code: handshake("visits: device.visits + 1"),
      errors: [
        {
          line: 22,
          column: 9,
          messageId: "lostUpdate",
          data: { write: "`open(…)`", column: "the row", line: 21 },
        },
      ],
    },
  ],
});

const peers = (online: string) => `type Status = "online" | "gone";

interface Peer {
  id: string;
}

declare function record(peerId: string, what: string): Promise<void>;
declare const gauge: { up(): void; down(): void };

export class Peers {
  private readonly live = new Map<string, Peer>();

  async onStatus(peer: Peer, status: Status): Promise<void> {
    if (status === "gone") {
      this.live.delete(peer.id);
      gauge.down();
      await record(peer.id, "left");
    } else {
${online}
    }
  }
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a registry entry set on the online event and deleted only on the gone event",
      code: peers(`      if (this.live.has(peer.id)) return;
      this.live.set(peer.id, peer);
      gauge.up();
      await record(peer.id, "joined");`),
    },
  ],
  invalid: [
    {
      name: "a key set and deleted after the work in the same branch",
      code: peers(`      if (this.live.has(peer.id)) return;
      this.live.set(peer.id, peer);
      gauge.up();
      await record(peer.id, "joined");
      this.live.delete(peer.id);`),
      errors: [{ line: 20, column: 7, messageId: "releaseSkippable" }],
      output: peers(`      if (this.live.has(peer.id)) return;
      this.live.set(peer.id, peer);
      try {
        gauge.up();
        await record(peer.id, "joined");
      } finally {
        this.live.delete(peer.id);
      }`),
    },
  ],
});

const backfill = (taken: string) => `import Redis from "ioredis";

const redis = new Redis();

declare const SERVER_ID: string;
declare function saveDocument(id: string, state: Uint8Array): Promise<void>;
declare function encodeChange(state: Uint8Array): Uint8Array;

export async function backfill(docs: Array<{ id: string; state: Uint8Array | null }>): Promise<void> {
  for (const doc of docs) {
    if (!doc.state) continue;
    const holder = await redis.set(\`doc-owner:\${doc.id}\`, SERVER_ID, "PX", 10_000, "NX", "GET");
    if (!holder) {
${taken}
    } else {
      const change = encodeChange(doc.state);
      await redis.publish(\`doc-inbox:\${holder}\`, Buffer.from(change));
    }
  }
}
`;

const releasedInFinally = `      try {
        await saveDocument(doc.id, doc.state);
      } finally {
        await redis.del(\`doc-owner:\${doc.id}\`);
      }`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "SET NX GET: the side with a holder (routing the change to it) holds nothing; the taken side releases in finally",
      code: backfill(releasedInFinally),
    },
  ],
  invalid: [
    {
      name: "SET NX GET: a failure on the taken side before the DEL",
      code: backfill(`      await saveDocument(doc.id, doc.state);
      await redis.del(\`doc-owner:\${doc.id}\`);`),
      errors: [
        {
          line: 12,
          column: 26,
          messageId: "releaseSkippable",
          data: {
            lock: "Redis lock `doc-owner:${doc.id}`",
            line: 15,
            skip: "`await saveDocument(doc.id, doc.state)` at line 14 throws",
            consequence: "the lock stays held until it expires, and meanwhile every other attempt to take it fails",
          },
        },
      ],
      output: null,
    },
  ],
});
