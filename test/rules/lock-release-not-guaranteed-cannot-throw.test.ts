// lock-release-not-guaranteed between an acquisition and its `try` (issue #15, pattern 66): a call of a project function
// that cannot throw skips no release. The function's own body says so, by the model every control-flow graph uses: a
// predicate of another file that only compares a field (`return job.retries === 0`), a label built by another such
// helper (`stamp(id)`: a string and the clock), or a helper that catches every error itself and does not rethrow (a
// metrics call wrapped in try/catch). A helper that may throw (it parses, or calls
// another function) still skips the release when it does, and is still named.
import { lockReleaseNotGuaranteed } from "../../rules/lock-release-not-guaranteed";
import { runRuleTests } from "../helpers/rule-tester";

/** The project's helpers, in a file of their own; `label` is the body of `labelOf`. */
const helpers = (label: string) => ({
  "src/jobs.ts": `export interface Job {
  id: string;
  retries: number;
  payload: string;
}

export function isFirstAttempt(job: Job): boolean {
  return job.retries === 0;
}

export function labelOf(job: Job): string {
  ${label}
}

export function stamp(id: string): string {
  return "job-" + id + "-" + Date.now();
}

declare const metrics: { increment(name: string): void };

export function countStart(name: string): void {
  try {
    metrics.increment(name);
  } catch {
    // metrics are best effort
  }
}
`,
});

const SAFE_LABEL = "return `${stamp(job.id)} (attempt ${job.retries + 1})`;";
const PARSING_LABEL = "return JSON.parse(job.payload).title;";

/** A worker that takes the job's mutex, calls the helpers, then runs the job in a `try` whose `finally` releases it. */
const worker = `import { Mutex } from "async-mutex";
import { countStart, isFirstAttempt, labelOf, type Job } from "./jobs";

const jobMutex = new Mutex();
declare function runJob(job: Job, label: string, fresh: boolean): Promise<void>;

export async function work(job: Job) {
  const release = await jobMutex.acquire();
  const fresh = isFirstAttempt(job);
  const label = labelOf(job);
  countStart("jobs.started");
  try {
    await runJob(job, label, fresh);
  } finally {
    release();
  }
}
`;

runRuleTests(lockReleaseNotGuaranteed, {
  valid: [
    {
      name: "a predicate, a label built from fields and a helper catching every error, before the try: none can throw",
      files: helpers(SAFE_LABEL),
      code: worker,
    },
  ],
  invalid: [
    {
      name: "the label's helper parses the payload, which may throw with the mutex held",
      files: helpers(PARSING_LABEL),
      code: worker,
      errors: [
        {
          line: 8,
          column: 25,
          messageId: "releaseSkippable",
          data: {
            lock: "`jobMutex`",
            consequence: "the lock is never released, and every later acquisition waits forever",
            line: 15,
            skip: "`labelOf(job)` at line 10 throws",
          },
        },
      ],
      // The helpers' results are declared before the `try` and used in it: the fix would have to move declarations.
      output: null,
    },
  ],
});
