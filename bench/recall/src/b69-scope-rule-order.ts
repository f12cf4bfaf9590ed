import { Injectable } from "@nestjs/common";
import { DataSource } from "typeorm";
import { AccessRule, RuleScope } from "./access-entities";
@Injectable()
export class AccessRuleService {
  constructor(private readonly dataSource: DataSource) {}
  // Locks the scope, then the rule it points at.
  async editScope(scopeId: string, changes: { allowed: string[] }) {
    await this.dataSource.transaction(async (manager) => {
      const scope = await manager.findOne(RuleScope, { where: { id: scopeId }, lock: { mode: "pessimistic_write" } });
      if (!scope) throw new Error("scope not found");
      const rule = await manager.findOne(AccessRule, { where: { id: scope.ruleId }, lock: { mode: "pessimistic_write" } });
      if (!rule) throw new Error("rule not found");
      rule.document = { ...rule.document, allowed: changes.allowed };
      await manager.save(rule);
      await manager.save(RuleScope, { ...scope, revision: scope.revision + 1 });
    });
  }
  // Locks the rule, then the scope attached to it: the reverse order of editScope.
  async editRuleDocument(ruleId: string, document: Record<string, unknown>) {
    await this.dataSource.transaction(async (manager) => {
      const rule = await manager.findOne(AccessRule, { where: { id: ruleId }, lock: { mode: "pessimistic_write" } });
      if (!rule) throw new Error("rule not found");
      const scope = await manager.findOne(RuleScope, { where: { ruleId }, lock: { mode: "pessimistic_write" } });
      await manager.save(AccessRule, { ...rule, document });
      if (scope) await manager.save(RuleScope, { ...scope, revision: scope.revision + 1 });
    });
  }
}
