import Redis from "ioredis";
import Redlock from "redlock";
const redlock = new Redlock([new Redis(process.env.REDIS_URL!)], { retryCount: 10, retryDelay: 200 });
const memory = new Redis(process.env.REDIS_URL!);
// Every instance initialises the licence at boot under one Redis lock. The locked section includes the call to the
// licence server, which can take a minute and a half on first activation: the other instances booting beside it
// spend Redlock's two-second retry window waiting for the lock and crash with "unable to achieve a quorum".
async function usingLock<T>(key: string, run: () => Promise<T>): Promise<T> {
  return redlock.using([`lock:${key}`], 10_000, async () => run());
}
export async function initializeLicense(licenseKey: string) {
  await usingLock("license", async () => {
    const response = await fetch(`${process.env.LICENSE_SERVER}/activate`, {
      method: "POST",
      body: JSON.stringify({ licenseKey }),
    });
    const license = await response.text();
    await memory.set("license:current", license);
  });
}
// Correct: the licence server is asked before the lock is taken, and the lock covers only the write of its answer.
export async function initializeLicenseOutsideLock(licenseKey: string) {
  const response = await fetch(`${process.env.LICENSE_SERVER}/activate`, {
    method: "POST",
    body: JSON.stringify({ licenseKey }),
  });
  const license = await response.text();
  await usingLock("license", async () => {
    await memory.set("license:current", license);
  });
}
