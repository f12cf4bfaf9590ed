import * as runtime from "@locksmith/runtime";
import { defineCoreSuite } from "./core-suite";

defineCoreSuite("package", runtime);
