// FALSE shape (lock-release-not-guaranteed), session 18 held-out check, dyrectorio
// web/crux/src/app/agent/agent.service.ts:518.
// Rule that would make it silent: a key set in one branch of a status handler and deleted in a different branch
// (the "gone" event) is a registry of live peers, not a busy key held for some work: no delete can run after the set
// in the same call, so no path of this call skips a release.
type Status = "online" | "gone" | "other";

interface Peer {
  id: string;
  shutDown(): void;
}

declare function recordEvent(peerId: string, what: string): Promise<void>;
declare const gauge: { up(): void; down(): void };

export class PeerRegistry {
  private readonly peers = new Map<string, Peer>();

  async onStatus(peer: Peer, status: Status): Promise<void> {
    if (status === "gone") {
      if (this.peers.get(peer.id) === peer) {
        this.peers.delete(peer.id);
        gauge.down();
        await recordEvent(peer.id, "left");
      }
    } else if (status === "online") {
      if (this.peers.has(peer.id)) {
        peer.shutDown();
        return;
      }
      this.peers.set(peer.id, peer);
      gauge.up();
      await recordEvent(peer.id, "joined");
    }
  }
}
