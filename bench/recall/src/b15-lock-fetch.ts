import { Mutex } from "async-mutex";
const tokenMutex = new Mutex();
let cached: { token: string; exp: number } | undefined;
export async function getToken(): Promise<string> {
  return tokenMutex.runExclusive(async () => {
    if (cached && cached.exp > Date.now()) return cached.token;
    const res = await fetch("https://auth.example.com/token", { method: "POST" });
    const body = (await res.json()) as { token: string; ttl: number };
    cached = { token: body.token, exp: Date.now() + body.ttl * 1000 };
    return body.token;
  });
}
