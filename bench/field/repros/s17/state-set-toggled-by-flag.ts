// FALSE shape (lock-release-not-guaranteed), session 17 held-out check, matrix-appservice-irc
// src/irc/PrivacyProtection.ts:130.
// Rule that would make it silent: a Set that records a state (the channels currently muted), added to in one branch
// of an if/else on the new state and deleted from in the other, is not a busy key held for the call: nothing after it
// is meant to release it, so a throw in between leaves the state exactly as recorded.
export class MuteTracker {
  private mutedChannels = new Set<string>();

  constructor(private notify: (channel: string, muted: boolean) => Promise<void>) {}

  async setMuted(channel: { name(): string }, muted: boolean) {
    const key = "chan:" + channel.name();
    if (this.mutedChannels.has(key) === muted) {
      return;
    }
    if (muted) {
      this.mutedChannels.add(key);
      console.warn(`${channel.name()} is now muted`);
    } else {
      this.mutedChannels.delete(key);
      console.warn(`${channel.name()} is unmuted`);
    }
    try {
      await this.notify(channel.name(), muted);
    } catch (err) {
      console.warn("could not notify", err);
    }
  }
}
