import { Column, DataSource, Entity, PrimaryGeneratedColumn, type Repository } from "typeorm";
@Entity("timesheets")
class Timesheet {
  @PrimaryGeneratedColumn() id!: number;
  @Column() memberId!: string;
  @Column() status!: string;
  @Column({ type: "timestamptz", nullable: true }) signedAt!: Date | null;
}
// Signing a timesheet locks its row inside a transaction, then saves it through the injected repository, which runs on
// another pooled connection outside the transaction: that save waits for the row lock the transaction holds, and the
// transaction waits for the save, until the lock timeout kills the request.
export class TimesheetSigning {
  constructor(
    private readonly dataSource: DataSource,
    private readonly timesheets: Repository<Timesheet>,
  ) {}
  async sign(timesheetId: number) {
    return this.dataSource.transaction(async (manager) => {
      const sheet = await manager.findOne(Timesheet, { where: { id: timesheetId }, lock: { mode: "pessimistic_write" } });
      if (!sheet) throw new Error("timesheet not found");
      if (sheet.status !== "open") throw new Error("timesheet already signed");
      sheet.status = "signed";
      sheet.signedAt = new Date();
      return this.timesheets.save(sheet);
    });
  }
  // Correct: the write goes through the transaction's manager, on the connection that holds the lock.
  async signInTransaction(timesheetId: number) {
    return this.dataSource.transaction(async (manager) => {
      const sheet = await manager.findOne(Timesheet, { where: { id: timesheetId }, lock: { mode: "pessimistic_write" } });
      if (!sheet) throw new Error("timesheet not found");
      if (sheet.status !== "open") throw new Error("timesheet already signed");
      sheet.status = "signed";
      sheet.signedAt = new Date();
      return manager.save(sheet);
    });
  }
}
