interface TimerSubscription {
  id: string;
  action: "timer.started" | "timer.stopped";
  targetUrl: string;
}
interface TimeLogEvent {
  timeLogId: string;
  employeeId: string;
  at: string;
}
const DELIVERY_WINDOW_MS = 60_000;
const lastDeliveries = new Map<string, number>();
function deliveredRecently(key: string) {
  const at = lastDeliveries.get(key);
  return at !== undefined && Date.now() - at < DELIVERY_WINDOW_MS;
}
// A timer event is posted to each subscriber's webhook unless the same (subscription, action, time log) went out in
// the last minute. The key is tested before the POST and recorded only after it answers: a redelivered event handled
// while the first POST is in flight passes the test too, and the subscriber's automation runs twice.
export async function notifyTimerChange(subscription: TimerSubscription, event: TimeLogEvent) {
  const key = `${subscription.id}:${subscription.action}:${event.timeLogId}`;
  if (deliveredRecently(key)) return null;
  const response = await fetch(subscription.targetUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: subscription.action, ...event }),
  });
  lastDeliveries.set(key, Date.now());
  return response.status;
}
// Correct: the key is recorded before the POST, with nothing awaited between the test and the record, and removed
// when the POST fails so that a retry can deliver.
export async function notifyTimerChangeReserved(subscription: TimerSubscription, event: TimeLogEvent) {
  const key = `${subscription.id}:${subscription.action}:${event.timeLogId}`;
  if (deliveredRecently(key)) return null;
  lastDeliveries.set(key, Date.now());
  try {
    const response = await fetch(subscription.targetUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: subscription.action, ...event }),
    });
    return response.status;
  } catch (err) {
    lastDeliveries.delete(key);
    throw err;
  }
}
