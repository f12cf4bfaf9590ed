// Session 18's held-out check: two false alarms of dyrectorio, written afresh in the same shapes.
// - select-then-update: a row read and handed to a write helper inside an options object (`open({ connection,
//   device })`), where the helper takes the row only as the key of its update and writes values of the connection
//   (`const { connection, device } = options; … data: { lastIp: connection.address }`). What the helper writes is the
//   caller's `connection`, not the literal as a whole, so nothing read is written back. A helper that writes a column
//   of the row it is handed (`device.visits + 1`) stays reported.
// - lock-release-not-guaranteed: a Map entry set in one branch of a status handler and deleted in another branch (the
//   "gone" event) is a registry of live peers: no delete can run after the set in the same call, so no path skips a
//   release. A key set and deleted after the work in the same branch stays reported.
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
