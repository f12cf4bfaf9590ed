import { EntitySchema, getRepository } from "typeorm";

interface Note {
  id: number;
  text: string;
}

export const NoteEntity = new EntitySchema<Note>({
  name: "note",
  columns: {
    id: { type: Number, primary: true, generated: "increment" },
    text: { type: String },
  },
});

// A chat command removing a note by its number: the lookup only picks the reply.
export async function removeNote(id: number): Promise<string> {
  const item = await getRepository(NoteEntity).findOne({ id });
  if (!item) {
    return `note #${id} not found`;
  } else {
    await getRepository(NoteEntity).delete({ id });
    return `note #${id} removed`;
  }
}
