type Token = { id: string; amount: bigint; spent: boolean };
declare const aggregator: { submitTransfer(tokenIds: string[], to: string, amount: bigint): Promise<string> };
function pick(tokens: Token[], amount: bigint): Token[] | null {
  const chosen: Token[] = [];
  let total = 0n;
  for (const token of tokens) {
    if (total >= amount) break;
    chosen.push(token);
    total += token.amount;
  }
  return total >= amount ? chosen : null;
}
export class PaymentsModule {
  private readonly tokens = new Map<string, Token>();
  // The tokens to spend are chosen among the unspent ones, the transfer is submitted to the aggregator, and only after
  // that await are they marked spent: two sends started together both choose the same tokens, and the aggregator sees
  // a double spend.
  async send(to: string, amount: bigint) {
    const free = [...this.tokens.values()].filter((token) => !token.spent);
    const chosen = pick(free, amount);
    if (!chosen) throw new Error("insufficient balance");
    const proof = await aggregator.submitTransfer(
      chosen.map((token) => token.id),
      to,
      amount,
    );
    for (const token of chosen) token.spent = true;
    return proof;
  }
}
