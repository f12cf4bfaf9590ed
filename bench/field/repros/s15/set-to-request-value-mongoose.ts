// FALSE shape (select-then-update), session 15 held-out check, courselit apps/web/graphql/paymentplans/logic.ts:359.
// Rule that would make it silent: a Mongoose document whose only changed path is set to a value the request names
// (the other read only checks that value exists) writes nothing read from the document, and save() sets only that
// path, so two concurrent calls end as the later one, exactly as run one after the other.
import mongoose from "mongoose";

const Shelf = mongoose.model("Shelf", new mongoose.Schema({ shelfId: String, featuredBook: String }));
const Book = mongoose.model("Book", new mongoose.Schema({ bookId: String, withdrawn: Boolean }));

export async function featureBook(shelfId: string, bookId: string) {
  const shelf = await Shelf.findOne({ shelfId });
  if (!shelf) throw new Error("not found");
  const book = await Book.findOne({ bookId, withdrawn: false });
  if (!book) throw new Error("not found");
  shelf.featuredBook = book.bookId;
  await shelf.save();
  return book;
}
