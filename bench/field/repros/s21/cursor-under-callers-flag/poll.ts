import { syncTransfers } from "./sync";

let running = false;

// The process's only way into syncTransfers: a busy flag tested and set before any await, cleared on every way out.
export async function poll() {
  if (running) return;
  running = true;
  try {
    await syncTransfers();
  } finally {
    running = false;
  }
}

setInterval(() => void poll(), 10_000);
