import { Column, DataSource, Entity, PrimaryColumn, PrimaryGeneratedColumn } from "typeorm";
@Entity()
export class IndexerStatus {
  @PrimaryColumn() chain!: string;
  @Column() lastProcessedBlock!: number;
}
@Entity()
export class OwnershipEvent {
  @PrimaryGeneratedColumn() id!: number;
  @Column() chain!: string;
  @Column() blockNumber!: number;
  @Column() tokenId!: string;
  @Column() owner!: string;
}
declare const dataSource: DataSource;
declare function fetchOwnershipEvents(
  chain: string,
  fromBlock: number,
  toBlock: number,
): Promise<{ blockNumber: number; tokenId: string; owner: string }[]>;
declare function currentBlock(chain: string): Promise<number>;
// Each indexer run reads the chain's last processed block, fetches the events after it from the node, stores them and
// saves the new block number. Two workers started together both read the same block, both store the same events,
// and the status they save back is whichever finished last.
export async function syncChain(chain: string) {
  const statuses = dataSource.getRepository(IndexerStatus);
  const status = await statuses.findOneByOrFail({ chain });
  const head = await currentBlock(chain);
  const events = await fetchOwnershipEvents(chain, status.lastProcessedBlock + 1, head);
  await dataSource.getRepository(OwnershipEvent).insert(events.map((event) => ({ chain, ...event })));
  status.lastProcessedBlock = head;
  await statuses.save(status);
}
// Correct: the run holds the status row FOR UPDATE in a transaction, so a second worker waits and then starts from
// the block the first saved.
export async function syncChainLocked(chain: string) {
  await dataSource.transaction(async (manager) => {
    const status = await manager.findOneOrFail(IndexerStatus, { where: { chain }, lock: { mode: "pessimistic_write" } });
    const head = await currentBlock(chain);
    const events = await fetchOwnershipEvents(chain, status.lastProcessedBlock + 1, head);
    await manager.insert(OwnershipEvent, events.map((event) => ({ chain, ...event })));
    status.lastProcessedBlock = head;
    await manager.save(status);
  });
}
