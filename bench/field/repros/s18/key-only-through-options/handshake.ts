// FALSE shape (select-then-update), session 18 held-out check, dyrectorio
// web/crux/src/app/agent/connection-strategies/agent.connection.strategy.ts:48 (and the update strategy's :32).
// Rule that would make it silent: the row read is handed to a helper inside an options object, and the helper uses
// it only as the key of its update (`where: { id: device.id }`); the values written come from the connection, so
// nothing read is written back.
import { PrismaClient, type Device } from "@prisma/client";

const prisma = new PrismaClient();

interface Connection {
  address: string;
  openedAt: Date;
}

interface SessionOptions {
  connection: Connection;
  device: Device;
  stale: boolean;
}

export class Session {
  constructor(readonly options: SessionOptions) {}
}

async function loadDevice(id: string): Promise<Device> {
  return await prisma.device.findUniqueOrThrow({ where: { id } });
}

async function openSession(options: SessionOptions): Promise<Session> {
  const { connection, device } = options;
  await prisma.device.update({
    where: { id: device.id },
    data: { lastIp: connection.address, lastSeen: connection.openedAt },
  });
  return new Session(options);
}

export async function handshake(connection: Connection, deviceId: string, secret: string): Promise<Session> {
  const device = await loadDevice(deviceId);
  if (device.secret !== secret) throw new Error("bad secret");
  const stale = Date.now() - connection.openedAt.getTime() > 60_000;
  return await openSession({ connection, device, stale });
}
