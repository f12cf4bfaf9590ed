export * from "./db"; // TRANSITION: removed when rules import from the rule kit
