// select-then-update, session 27 field fixes (wt-field). Each valid case is a FALSE finding's shape from the judged
// corpus, written afresh; each invalid case is its twin that still loses an update.
//
// Pattern 77: an error-handling wrapper around a query (`guarded(prisma.ticket.findFirst(…))`, which returns `await
// work` and rethrows in its `catch`) hands back the rows of the read it is given. A store method returning such a row
// is that row read, so a column of it passed to another call (`ticket.deskRef`) is that column, which the patch's
// tracking URL does not write back; a patch computed from a column of the row it writes (`ticket.escalations + 1`)
// stays reported.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

const STORE = "src/ticket-store.ts";

const FILES = {
  [STORE]: `import { PrismaClient, type Ticket, type Prisma } from "@prisma/client";

export const guarded = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch (error) {
    console.error(error);
    throw error;
  }
};

export class TicketStore {
  constructor(private readonly prisma: PrismaClient) {}

  async loadTicket(query: Prisma.TicketWhereInput): Promise<Ticket> {
    const ticket = await guarded(this.prisma.ticket.findFirst({ where: query }));
    if (ticket == null) throw new Error("no ticket");
    return ticket;
  }

  async patchTicket(ticket: Ticket, patch: Prisma.TicketUpdateInput): Promise<Ticket> {
    return guarded(this.prisma.ticket.update({ where: { id: ticket.id }, data: patch }));
  }
}
`,
};

/** A handler that loads a ticket through the store and writes `patch` back through it. */
const handler = (patch: string) => `import { PrismaClient } from "@prisma/client";
import { TicketStore } from "./ticket-store";
const store = new TicketStore(new PrismaClient());
declare function notifyDesk(deskRef: string): Promise<{ trackingUrl: string }>;

export async function escalate(ticketId: string) {
  let ticket = await store.loadTicket({ id: ticketId });
  if (ticket.deskRef == null) throw new Error("not synced");
  const receipt = await notifyDesk(ticket.deskRef);
  ticket = await store.patchTicket(ticket, ${patch});
  return ticket;
}
`;

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "the row passed to the helper only names the row written: the patch holds constants and the clock",
      filename: "src/escalate.ts",
      files: FILES,
      code: handler(`{ priority: "urgent", trackingUrl: receipt.trackingUrl, escalatedAt: new Date() }`),
    },
  ],
  invalid: [
    {
      name: "the patch the helper writes is computed from a column of the row read",
      filename: "src/escalate.ts",
      files: FILES,
      code: handler(`{ escalations: ticket.escalations + 1, escalatedAt: new Date() }`),
      errors: [{ line: 10, column: 18, messageId: "lostUpdate", filename: "src/escalate.ts" }],
    },
  ],
});
