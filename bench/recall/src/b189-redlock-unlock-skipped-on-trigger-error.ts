import Redis from "ioredis";
import Redlock from "redlock";
const redlock = new Redlock([new Redis(process.env.REDIS_URL!)], { retryCount: 20, retryDelay: 200 });
const LOCK_TTL_MS = 20_000;
declare function triggerNextJobs(pipelineId: string, buildId: number): Promise<void>;
declare function triggerExternalPipelines(pipelineId: string, buildId: number): Promise<void>;
// When a build finishes, the pipeline is locked while its next jobs are triggered; the unlock is the last statement,
// so a trigger that throws leaves the lock held and every other finishing build of the pipeline waits out the TTL.
export async function onBuildFinished(pipelineId: string, buildId: number) {
  const lock = await redlock.lock(`pipeline:${pipelineId}:trigger`, LOCK_TTL_MS);
  await triggerNextJobs(pipelineId, buildId);
  await triggerExternalPipelines(pipelineId, buildId);
  await lock.unlock();
}
// Correct: the unlock is in `finally`, so it runs whether the triggers succeed or throw.
export async function onBuildFinishedReleased(pipelineId: string, buildId: number) {
  const lock = await redlock.lock(`pipeline:${pipelineId}:trigger`, LOCK_TTL_MS);
  try {
    await triggerNextJobs(pipelineId, buildId);
    await triggerExternalPipelines(pipelineId, buildId);
  } finally {
    await lock.unlock();
  }
}
