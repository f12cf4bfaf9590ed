import { BadRequestException, Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";

interface BallotLimit {
  id: string;
  pollId: string;
  voterIp: string;
  ballots: number;
  resetAt: number;
}

@Injectable()
export class BallotLimitService {
  constructor(@InjectModel("BallotLimit") private readonly ballotLimitModel: Model<BallotLimit>) {}

  async admit(pollId: string, voterIp: string, maxBallots: number): Promise<void> {
    const entry = await this.ballotLimitModel.findOne({ pollId, voterIp });
    if (!entry) {
      await this.ballotLimitModel.create({ pollId, voterIp, ballots: 1, resetAt: 0 });
      return;
    }
    if (entry.ballots >= maxBallots) throw new BadRequestException("ballot limit reached");
    const changes: Record<string, any> = { ballots: entry.ballots + 1 };
    await this.ballotLimitModel.update({ _id: entry.id }, changes);
  }

  // Correct twin: the bound in the filter of an atomic increment, and a miss refused.
  async admitAtomic(pollId: string, voterIp: string, maxBallots: number): Promise<void> {
    const raised = await this.ballotLimitModel.findOneAndUpdate(
      { pollId, voterIp, ballots: { $lt: maxBallots } },
      { $inc: { ballots: 1 } },
    );
    if (!raised) throw new BadRequestException("ballot limit reached");
  }
}
