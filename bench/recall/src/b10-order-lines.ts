import { Injectable } from "@nestjs/common";
import { InjectRepository } from "@nestjs/typeorm";
import { Repository, Entity, PrimaryGeneratedColumn, Column, OneToMany, ManyToOne } from "typeorm";
@Entity() export class Order { @PrimaryGeneratedColumn() id!: number; @Column() subTotal!: number; @OneToMany(() => OrderLine, (l) => l.order) lines!: OrderLine[]; }
@Entity() export class OrderLine { @PrimaryGeneratedColumn() id!: number; @Column() quantity!: number; @Column() unitPrice!: number; @ManyToOne(() => Order) order!: Order; }
@Injectable()
export class OrderService {
  constructor(@InjectRepository(Order) private orders: Repository<Order>) {}
  private async getOrderOrThrow(id: number) {
    const order = await this.orders.findOne({ where: { id }, relations: ["lines"] });
    if (!order) throw new Error("no order");
    return order;
  }
  async addItemToOrder(orderId: number, unitPrice: number, quantity: number) {
    const order = await this.getOrderOrThrow(orderId);
    order.subTotal = order.subTotal + unitPrice * quantity;
    return this.orders.save(order);
  }
}
