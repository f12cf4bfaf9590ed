import { PrismaClient } from "@prisma/client";

const prisma = new PrismaClient();

// The only writer of `settings`: every call replaces the same part (`options`) of the JSON kept as read.
export async function saveOptions(id: string, options: Record<string, string>) {
  const widget = await prisma.widget.findUniqueOrThrow({ where: { id } });
  const current = widget.settings ? widget.settings : {};
  const settings = {
    ...(current as any),
    options,
  } as any;
  return prisma.widget.update({ where: { id: widget.id }, data: { settings, enabled: true } });
}

// A redeploy keeps the title as read; no other code changes a widget's title.
export async function redeploy(slug: string, ownerId: string, definition: Record<string, unknown>) {
  let widget = await prisma.widget.findFirst({ where: { slug, ownerId } });
  if (!widget) {
    widget = await prisma.widget.create({ data: { slug, ownerId, title: slug, definition: definition as any } });
  } else {
    widget = await prisma.widget.update({
      where: { id: widget.id },
      data: { definition: definition as any, title: widget.title, enabled: true, archivedAt: null },
    });
  }
  return widget;
}
