import { Mutex } from "async-mutex";
declare function emitModule(specifier: string, source: string): Promise<string>;
const transpilerMutex = new Mutex();
// The bundler runs one transpilation at a time behind a mutex. The release comes after the emit: a module with a syntax
// error makes emit throw, the mutex is never released, and every later module waits on it forever — the build hangs
// instead of reporting the error.
export async function transpileModule(specifier: string, source: string) {
  const release = await transpilerMutex.acquire();
  const output = await emitModule(specifier, source);
  release();
  return output;
}
// Correct: the mutex is released in a finally.
export async function transpileModuleSafely(specifier: string, source: string) {
  const release = await transpilerMutex.acquire();
  try {
    return await emitModule(specifier, source);
  } finally {
    release();
  }
}
