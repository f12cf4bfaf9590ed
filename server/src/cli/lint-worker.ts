// The entry point of a `locksmith lint --threads` worker thread (see threads.ts).
import { parentPort, workerData } from "node:worker_threads";
import { workerLint } from "./threads";

parentPort!.postMessage(workerLint(workerData));
