import { Injectable } from "@nestjs/common";
import { InjectModel } from "@nestjs/mongoose";
import { Model } from "mongoose";

export interface Signup {
  id: string;
  eventId: string;
  name: string;
}

@Injectable()
export class SignupService {
  constructor(@InjectModel("Signup") private readonly signupModel: Model<Signup>) {}

  async countForEvent(eventId: string): Promise<number> {
    return this.signupModel.countDocuments({ eventId });
  }

  async record(signup: Partial<Signup>): Promise<string> {
    const doc = await this.signupModel.create(signup);
    return doc.id;
  }
}
