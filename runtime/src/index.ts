export * from "./errors.js";
export * from "./types.js";
export { channels } from "./events.js";
export { LocalHandle, type Critical } from "./queue.js";
export { Mutex, Semaphore, RWLock, type LockOptions } from "./primitives.js";
export { LockManager, type LockKey, type LockManagerOptions } from "./lock-manager.js";
export { lockAll, acquireAll, canonicalOrder, CompositeHandle } from "./lock-all.js";
export { DeadlockDetector } from "./deadlock.js";
export { retry, optimisticUpdate, backoffDelay, isTransientError, sleep, type RetryOptions, type OptimisticUpdateOptions } from "./retry.js";
