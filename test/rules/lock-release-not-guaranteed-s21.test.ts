import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

// A Set tested with `if (set.has(k)) continue` turns a key away only from what that loop runs: a `set.add(k)` in a
// later loop is not behind the test, so it is state (here: entries taken out and put back around a synchronous call),
// not a busy key taken for some work. A busy key tested and added in the same loop, or before the function's work,
// stays a lock whose release must be guaranteed.

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a set of muted channels skipped in one loop, and in a later loop taken out and put back around a synchronous lookup",
      code: `declare function subscribersOf(channel: string, excluded: ReadonlySet<string>): string[];
declare function deliver(to: string[], text: string): Promise<void>;
export class Broadcaster {
  private readonly muted = new Set<string>();
  async announce(channels: Array<{ name: string; temporary?: boolean }>, text: string): Promise<number> {
    const open: Array<{ name: string; temporary?: boolean }> = [];
    for (const channel of channels) {
      if (this.muted.has(channel.name)) continue;
      open.push(channel);
    }
    const recipients: string[] = [];
    for (const channel of open) {
      this.muted.delete(channel.name);
      const subscribers = subscribersOf(channel.name, this.muted);
      if (channel.temporary) this.muted.add(channel.name);
      if (subscribers.length === 0) continue;
      recipients.push(...subscribers);
    }
    await deliver(recipients, text);
    return recipients.length;
  }
}`,
    },
  ],
  invalid: [
    {
      name: "the key tested and marked in the same loop, released after awaited work: a failed delivery leaves it marked",
      code: `declare function deliver(channel: string, text: string): Promise<void>;
export class Broadcaster {
  private readonly sending = new Set<string>();
  async announce(channels: string[], text: string): Promise<void> {
    for (const channel of channels) {
      if (this.sending.has(channel)) continue;
      this.sending.add(channel);
      await deliver(channel, text);
      this.sending.delete(channel);
    }
  }
}`,
      errors: [{ line: 7, column: 7, messageId: "releaseSkippable" }],
      output: `declare function deliver(channel: string, text: string): Promise<void>;
export class Broadcaster {
  private readonly sending = new Set<string>();
  async announce(channels: string[], text: string): Promise<void> {
    for (const channel of channels) {
      if (this.sending.has(channel)) continue;
      this.sending.add(channel);
      try {
        await deliver(channel, text);
      } finally {
        this.sending.delete(channel);
      }
    }
  }
}`,
    },
  ],
});
