import { BadRequestException } from "@nestjs/common";
import { SignupService } from "./bm2-signup-cap.service";

interface MeetupEvent {
  id: string;
  cap: number;
  capEnabled: boolean;
}
interface EventService {
  findById(id: string): Promise<MeetupEvent | null>;
}
interface Captcha {
  verify(token: string): Promise<void>;
}

export class SignupResolver {
  constructor(
    private readonly events: EventService,
    private readonly signups: SignupService,
    private readonly captcha: Captcha,
  ) {}

  async signUp(eventId: string, name: string, captchaToken: string): Promise<string> {
    const event = await this.events.findById(eventId);
    if (!event) throw new BadRequestException("no such event");
    if (event.capEnabled) {
      const taken = await this.signups.countForEvent(eventId);
      if (taken >= event.cap) throw new BadRequestException("the event is full");
    }
    await this.captcha.verify(captchaToken);
    return this.signups.record({ eventId: event.id, name });
  }
}
