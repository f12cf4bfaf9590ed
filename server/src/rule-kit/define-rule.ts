// defineRule: a rule is its meta first (with defaults for what most rules share), then its check. The `const` type
// parameter keeps each message template's literal text, so `report({ messageId, data })` is checked against the
// template's `{{holes}}` at compile time.
import type { FileRuleContext, JsonSchemaObject, ProjectRuleContext, Rule, RuleMeta, RuleMessages } from "../engine/types";

type MetaInput<Options, Messages extends RuleMessages> = Omit<
  RuleMeta<Options, Messages>,
  "fixable" | "hasSuggestions" | "scope" | "defaultOptions" | "optionsSchema"
> &
  Partial<Pick<RuleMeta<Options, Messages>, "fixable" | "hasSuggestions" | "scope">> &
  // A rule with options declares their schema and defaults together; a rule without has neither.
  ({ optionsSchema: JsonSchemaObject; defaultOptions: Options } | { optionsSchema?: undefined; defaultOptions?: undefined });

export function defineRule<const Messages extends RuleMessages, Options extends object = Record<string, never>>(rule: {
  meta: MetaInput<Options, Messages>;
  checkFile?(context: FileRuleContext<Options, Messages>): void;
  checkProject?(context: ProjectRuleContext<Options, Messages>): void;
}): Rule<Options, Messages> {
  const { meta } = rule;
  return {
    ...rule,
    meta: {
      fixable: false,
      hasSuggestions: false,
      scope: rule.checkProject ? "project" : "file",
      ...meta,
      defaultOptions: meta.defaultOptions ?? ({} as Options),
    },
  };
}
