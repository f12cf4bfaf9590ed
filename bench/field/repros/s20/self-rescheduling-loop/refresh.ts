import { getRepository } from "typeorm";

interface Computed {
  id: number;
  everyMs: number;
  ranAt: number;
  value: string;
}
declare const ComputedEntity: import("typeorm").EntitySchema<Computed>;
declare function evaluate(id: number): Promise<string>;

// The loop schedules its next pass only after this one finished, so two passes never overlap.
export async function refreshLoop(): Promise<void> {
  const items = await getRepository(ComputedEntity).find();
  for (const item of items) {
    if (Date.now() - item.ranAt >= item.everyMs) {
      item.value = await evaluate(item.id);
      item.ranAt = Date.now();
      await getRepository(ComputedEntity).save(item);
    }
  }
  setTimeout(() => void refreshLoop(), 1000);
}
