// Which library calls are slow, as data ("models as data", like `lock-libraries.ts`): calls whose duration is set by
// something outside the process (a remote service over HTTP, an SDK's client, an SMTP server, a timer, a child
// process), each with the reason a finding gives. `slow-calls.ts` reads these tables and holds no library names, so
// supporting another client is an entry here, not new code; a project adds its own in lock-across-await's `slowCalls`.

export interface SlowCallEntry {
  /** Module the callee comes from (`axios`, `@aws-sdk/*`, `node:https`); absent for a global function. */
  module?: string;
  /** Called name (`sendMail`, `request`), or `*` for every call on the module's exports and the clients they build. */
  call: string;
  /** Why it is slow, completing "`x` ...": "makes an HTTP request". */
  reason: string;
}

/**
 * A function, called by this name, that returns another version of the function it is given at `arg`: its result
 * comes from where that function comes from (`promisify(exec)` is `child_process`).
 */
export interface SlowCallWrapperModel {
  name: string;
  arg: number;
}

const HTTP = "makes an HTTP request, as slow as the remote service";
const sdk = (service: string) => `calls the ${service} API over HTTP`;

export const SLOW_CALL_MODELS: readonly SlowCallEntry[] = [
  { call: "fetch", reason: HTTP },
  ...["node-fetch", "undici", "axios", "got", "ky", "superagent"].map((module) => ({ module, call: "*", reason: HTTP })),
  ...["http", "https"].flatMap((module) => ["request", "get"].map((call) => ({ module, call, reason: HTTP }))),
  { module: "stripe", call: "*", reason: sdk("Stripe") },
  { module: "@aws-sdk/*", call: "*", reason: sdk("AWS") },
  { module: "openai", call: "*", reason: sdk("OpenAI") },
  { module: "@sendgrid/*", call: "*", reason: sdk("SendGrid") },
  { module: "twilio", call: "*", reason: sdk("Twilio") },
  { module: "nodemailer", call: "sendMail", reason: "sends an email over SMTP" },
  { call: "setTimeout", reason: "sleeps" },
  { module: "timers/promises", call: "setTimeout", reason: "sleeps" },
  { module: "child_process", call: "*", reason: "waits for a child process" },
];

export const SLOW_CALL_WRAPPERS: readonly SlowCallWrapperModel[] = [{ name: "promisify", arg: 0 }];
