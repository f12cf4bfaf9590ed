// select-then-update: which read a written value came from, asked along the function's paths (flow/queries.ts
// bindingsAlongPaths) rather than from the last assignment written above the write. A cap applied on one path only,
// or a fallback in a `catch`, leaves the read value on the other path (reported); where every path gives the name a
// value not read, nothing read is written (not reported); an entity changed in one branch and saved in the other
// saves nothing changed.
import { selectThenUpdate } from "../../rules/select-then-update";
import { runRuleTests } from "../helpers/rule-tester";

/** A loyalty service crediting points; `cap` decides what is written. */
const creditPoints = (cap: string) => `import { Injectable } from "@nestjs/common";
import { PrismaService } from "./prisma.service";

@Injectable()
export class LoyaltyService {
  constructor(private readonly prisma: PrismaService) {}

  async credit(memberId: string, earned: number) {
    const member = await this.prisma.member.findUniqueOrThrow({ where: { id: memberId } });
    ${cap}
    await this.prisma.member.update({ where: { id: memberId }, data: { points } });
  }
}
`;

const PRISMA_SERVICE = {
  "src/prisma.service.ts": `import { PrismaClient } from "@prisma/client";
export class PrismaService extends PrismaClient {}`,
};

/** A wallet charge whose balance falls back to zero when the wallet cannot be read (line 16 writes). */
const topUp = (fallback: string) => `import express from "express";
import { Pool } from "pg";

const pool = new Pool();
export const router = express.Router();

router.post("/wallets/:id/charge", async (req, res) => {
  const amount = Number(req.body.amount);
  let balance: number;
  try {
    const { rows } = await pool.query("SELECT balance FROM wallets WHERE id = $1", [req.params.id]);
    balance = rows[0].balance;
  } catch {
    ${fallback}
  }
  await pool.query("UPDATE wallets SET balance = $1 WHERE id = $2", [Math.max(balance - amount, 0), req.params.id]);
  res.json({ charged: Math.min(balance, amount) });
});
`;

/** An order service; the cancelled branch changes the loaded order, the other one saves it (line 17). */
const orderService = (cancelled: string) => `import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository } from "typeorm";
import { Order } from "./order.entity";

@Injectable()
export class OrdersService {
  constructor(@InjectRepository(Order) private readonly orders: Repository<Order>) {}

  async touch(orderId: string, cancelled: boolean, note: string) {
    const order = await this.orders.findOneByOrFail({ id: orderId });
    if (cancelled) {
      ${cancelled}
      return order;
    }
    order.note = note;
    await this.orders.save(order);
    return order;
  }
}
`;

const ORDER_ENTITY = {
  "src/order.entity.ts": `import { Entity, PrimaryGeneratedColumn, Column } from "typeorm";
@Entity()
export class Order {
  @PrimaryGeneratedColumn("uuid") id!: string;
  @Column() note!: string;
  @Column() revision!: number;
}`,
};

runRuleTests(selectThenUpdate, {
  valid: [
    {
      name: "every path gives the written name a value not read: nothing read is written",
      files: PRISMA_SERVICE,
      code: creditPoints(`let points: number;
    if (earned > 100) points = 100;
    else points = earned;`),
    },
    {
      name: "a fallback in the catch beside an update that computes the balance itself: nothing read is written",
      code: topUp("balance = 0;").replace(
        `"UPDATE wallets SET balance = $1 WHERE id = $2", [Math.max(balance - amount, 0), req.params.id]`,
        `"UPDATE wallets SET balance = GREATEST(balance - $1, 0) WHERE id = $2", [amount, req.params.id]`,
      ),
    },
    {
      name: "an entity changed from its own value in the branch that returns, saved in the other: the save writes nothing read",
      files: ORDER_ENTITY,
      code: orderService("order.revision = order.revision + 1;"),
    },
  ],
  invalid: [
    {
      name: "a cap applied on one path only: the uncapped path writes the value computed from the points read",
      files: PRISMA_SERVICE,
      code: creditPoints(`let points = member.points + earned;
    if (points > 10_000) points = 10_000;`),
      errors: [{ line: 12, column: 11, messageId: "lostUpdate" }],
    },
    {
      name: "a fallback in the catch: the path where the read succeeded writes the balance read minus the amount",
      code: topUp("balance = 0;"),
      errors: [{ line: 16, column: 9, messageId: "lostUpdate" }],
    },
  ],
});
