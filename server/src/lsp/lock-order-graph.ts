// `locksmith/lockOrderGraph`: the lock-order graph of the project of a file (or of every project), built by the same
// analysis the inconsistent-lock-order rule runs, over the project's current texts (open buffers included).
import { buildLockOrderGraph } from "../analysis/lock-order/export";
import type { ts } from "../engine/ts";
import type { LockOrderGraphResult } from "./protocol";
import type { Workspace } from "./projects";

export function lockOrderGraph(workspace: Workspace, file: string | undefined): LockOrderGraphResult {
  if (file === undefined) workspace.scan();
  const projects = file !== undefined ? [workspace.projectFor(file)] : workspace.allProjects();
  return {
    projects: projects.map((project) => {
      const program = project.host.getProgram();
      const sourceFiles = [...project.files].map((f) => program.getSourceFile(f)).filter((sf): sf is ts.SourceFile => sf !== undefined);
      return {
        project: project.tsconfig ?? project.root,
        graph: buildLockOrderGraph(program, sourceFiles, project.declaredLocksFor),
      };
    }),
  };
}
