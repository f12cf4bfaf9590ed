// Message templates (`meta.messages`): `{{name}}` holes filled from a report's `data`. A hole without data is a
// rule bug, thrown (the engine reports it as that rule's crash, and tests fail) rather than shown as "the  row".
import type { Rule } from "./types";

const HOLE = /\{\{\s*([A-Za-z_$][\w$]*)\s*\}\}/g;

export function formatMessage(rule: Rule, messageId: string, data: Readonly<Record<string, string | number>> | undefined): string {
  const template: unknown = rule.meta.messages[messageId];
  if (typeof template !== "string") throw new Error(`rule "${rule.meta.id}" reported an unknown messageId "${messageId}"`);
  return template.replace(HOLE, (_, name: string) => {
    const value = data?.[name];
    if (value === undefined) throw new Error(`rule "${rule.meta.id}": message "${messageId}" has no data for {{${name}}}`);
    return String(value);
  });
}
