// FALSE shape (select-then-update), session 15 held-out check, impact-graph src/services/donationService.ts:244 and
// :358. Rule that would make it silent: when the value an ActiveRecord save() writes is an external service's answer
// about the row (a chain's transaction hash, its definitive verdict) and the field read only decides whether to ask,
// concurrent runs write the same answer and no update can be lost. Lint with its helper module
// (external-answer-activerecord-repo.ts): the finder in a module of its own is what makes it fire on 5dfade9.
import { findPayoutById, type Payout } from "./external-answer-activerecord-repo";
import { lookUpBatchHash } from "./batches";

export const resolveReceipt = async (params: { payoutId: number }): Promise<Payout> => {
  const { payoutId } = params;
  const payout = await findPayoutById(payoutId);
  if (!payout) {
    throw new Error("not found");
  }
  if (!payout.receiptHash && payout.batchRef) {
    const hash = await lookUpBatchHash(payout.batchRef, payout.networkId);
    if (hash) {
      payout.receiptHash = hash;
      await payout.save();
    } else {
      throw new Error("not ready");
    }
  }
  return payout;
};
