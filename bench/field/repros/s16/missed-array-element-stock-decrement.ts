// MISSED (select-then-update), session 16 held-out check, ever-demand
// packages/core/src/services/warehouses/WarehousesProductsService.ts:490-520 (its own TODO names the race).
// A stock count read from a Mongoose document fetched through an observable (`.pipe(first()).toPromise()`), checked,
// decremented in JavaScript and written back by a positional `$set` of the whole sub-document: two orders of one
// product at once both read the same count and the stock is decremented once (oversell). Silent on 3401534, also
// with a direct `findById` instead of the observable: the value flows through an array element picked with `.find()`
// and is written by a positional `$set` (`items.$`); the same read-decrement-write on a top-level field is reported.
// The correct look-alike: one `updateOne` filtered on the element and its count (`$gte: n`) with `$inc: -n`.
import mongoose from "mongoose";
import { from, Observable } from "rxjs";
import { first } from "rxjs/operators";

interface Item {
  _id: mongoose.Types.ObjectId;
  sku: string;
  count: number;
}
interface Depot {
  _id: mongoose.Types.ObjectId;
  items: Item[];
}

const DepotModel = mongoose.model<Depot>("Depot", new mongoose.Schema({ items: [{ sku: String, count: Number }] }));

function watchDepot(id: string): Observable<Depot | null> {
  return from(DepotModel.findById(id).lean<Depot>().exec());
}

export async function takeFromStock(depotId: string, sku: string, n: number) {
  const depot = await watchDepot(depotId).pipe(first()).toPromise();
  if (!depot) throw new Error("no depot");
  const item = depot.items.find((i) => i.sku === sku);
  if (!item || item.count < n) throw new Error("not enough stock");
  item.count -= n;
  await DepotModel.updateOne({ _id: new mongoose.Types.ObjectId(depotId), "items._id": item._id }, { $set: { "items.$": item } });
  return item;
}
