import { Meteor } from "meteor/meteor";
import { Mongo } from "meteor/mongo";
interface Lord { _id: string; userId: string; gold: number }
export const Lords = new Mongo.Collection<Lord>("lords");
// The sender's gold is checked on a read, then debited with an unconditional $inc: overlapping calls all pass the
// check and drive the gold negative.
Meteor.methods({
  async sendGold(toLordId: string, amount: number) {
    const sender = await Lords.findOneAsync({ userId: this.userId! });
    if (!sender) throw new Meteor.Error("no-lord");
    if (amount > sender.gold) throw new Meteor.Error("not-enough-gold");
    await Lords.updateAsync({ _id: toLordId }, { $inc: { gold: amount } });
    await Lords.updateAsync({ _id: sender._id }, { $inc: { gold: -amount } });
  },
});
