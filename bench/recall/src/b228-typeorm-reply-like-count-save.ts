import { Column, DataSource, Entity, PrimaryGeneratedColumn } from "typeorm";
@Entity("replies")
class Reply {
  @PrimaryGeneratedColumn() id!: number;
  @Column() body!: string;
  @Column({ default: 0 }) likeCount!: number;
}
const source = new DataSource({ type: "postgres", url: process.env.DATABASE_URL, entities: [Reply] });
// A like loads the reply, raises its counter in memory and saves the entity: two likes at once both load 7 and both
// save 8.
export async function likeReply(replyId: number) {
  const replies = source.getRepository(Reply);
  const reply = await replies.findOneByOrFail({ id: replyId });
  reply.likeCount += 1;
  await replies.save(reply);
  return reply.likeCount;
}
// Correct: the database adds one to the stored value.
export async function likeReplyAtomic(replyId: number) {
  await source.getRepository(Reply).increment({ id: replyId }, "likeCount", 1);
}
