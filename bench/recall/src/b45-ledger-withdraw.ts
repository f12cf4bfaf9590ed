import { Injectable, BadRequestException } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";
interface WalletTx { userId: string; kind: "DEPOSIT" | "WITHDRAW"; amountMsats: number; status: string }
declare function payInvoice(invoice: string): Promise<void>;
@Injectable()
export class WithdrawalService {
  constructor(@InjectModel("WalletTx") private readonly txs: Model<WalletTx>) {}
  async withdraw(userId: string, amountMsats: number, invoice: string) {
    const history = await this.txs.find({ userId, status: "COMPLETE" });
    const balance = history.reduce((sum, t) => sum + (t.kind === "DEPOSIT" ? t.amountMsats : -t.amountMsats), 0);
    if (balance < amountMsats) throw new BadRequestException("insufficient balance");
    await this.txs.create({ userId, kind: "WITHDRAW", amountMsats, status: "COMPLETE" });
    await payInvoice(invoice);
  }
}
