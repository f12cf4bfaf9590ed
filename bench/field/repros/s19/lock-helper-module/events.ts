import { takeLock } from "./redis";

declare function applyKeyCreated(message: string): Promise<void>;
declare function applyKeyUpdated(message: string): Promise<void>;
declare function pauseConsumer(message: string): Promise<void>;

// One pod handles each key event (the case labels are false without the lock); every pod pauses its own consumer.
export async function onMessage(channel: string, message: string): Promise<void> {
  const lockAcquired = await takeLock(`event:${message}`, 60);
  if (lockAcquired) {
    console.info(`handling ${channel}`);
  }
  switch (channel) {
    case lockAcquired && "key-created":
      await applyKeyCreated(message);
      break;
    case lockAcquired && "key-updated":
      await applyKeyUpdated(message);
      break;
    case "pause-consumer":
      await pauseConsumer(message);
      break;
  }
}
