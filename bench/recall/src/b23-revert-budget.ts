import { PrismaClient } from "@prisma/client";
const prisma = new PrismaClient();
export async function refundBudgets(budgetIds: string[], amount: number) {
  const budgets = await prisma.spendBudget.findMany({ where: { id: { in: budgetIds } } });
  for (const budget of budgets) {
    const spent = Math.max(0, budget.spent - amount);
    await prisma.spendBudget.update({ where: { id: budget.id }, data: { spent } });
  }
}
export async function chargeBudgets(budgetIds: string[], amount: number) {
  for (const id of budgetIds) await prisma.spendBudget.update({ where: { id }, data: { spent: { increment: amount } } });
}
